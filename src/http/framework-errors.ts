/**
 * The error envelope for what Fastify answers before any route or hook runs: a path parameter
 * over `maxParamLength` (414), a URL it cannot decode (400), and requests Node's HTTP parser
 * refuses (`CONNECTX / HTTP/1.1`, oversized headers, timeouts). Fastify's own bodies lack the
 * envelope and the correlation id, and its client-error answer closed the socket without
 * `Connection: close`, so keep-alive clients saw a reset instead of an answer.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, type ErrorCode } from '../domain/errors.js';

export function errorEnvelope(code: ErrorCode, correlationId: string, message: string = ERRORS[code].message, details: Record<string, unknown> = {}): string {
  return JSON.stringify({ error: { code, message, details, correlationId } });
}

/** Fastify's `frameworkErrors`: router errors, answered in the envelope with the request's id. */
export function answerFrameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const code: ErrorCode = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'URI_TOO_LONG' : err.code === 'FST_ERR_BAD_URL' ? 'VALIDATION_FAILED' : 'BAD_REQUEST';
  const message = code === 'VALIDATION_FAILED' ? 'The URL is not validly encoded.' : ERRORS[code].message;
  request.errorCode = code;
  reply
    .code(ERRORS[code].status)
    .header('x-correlation-id', request.id)
    .header('content-type', 'application/json; charset=utf-8')
    .send(errorEnvelope(code, request.id, message));
}

const CLIENT_ERRORS: Record<string, ErrorCode> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
};

/**
 * Fastify's `clientErrorHandler` (Node's `clientError`): the parser gave up on the connection,
 * so answer once, say `Connection: close`, and end the socket after the answer is flushed.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const code = CLIENT_ERRORS[err.code ?? ''] ?? 'BAD_REQUEST';
  const status = ERRORS[code].status;
  const correlationId = globalThis.crypto.randomUUID();
  const body = errorEnvelope(code, correlationId);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Correlation-Id: ${correlationId}\r\nConnection: close\r\n\r\n${body}`,
  );
  // A client that never reads its answer must not hold the socket open.
  socket.setTimeout(5000, () => socket.destroy());
}
