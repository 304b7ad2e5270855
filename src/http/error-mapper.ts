/**
 * Turns anything thrown in a request into the one error shape
 * `{ "error": { "code", "message", "details", "correlationId" } }`. Unexpected errors are logged
 * with their stack and answered with INTERNAL_ERROR, never with internals.
 */
import type { FastifyError } from 'fastify';
import { BbwsError, ERRORS, isDiskFull, type ErrorCode } from '../domain/errors.js';

export interface MappedError {
  status: number;
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
  unexpected: boolean;
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
};

export function mapError(err: unknown): MappedError {
  if (err instanceof BbwsError) {
    return { status: err.status, code: err.code, message: err.message, details: err.details, unexpected: false };
  }
  const fe = err as Partial<FastifyError> & { validation?: Array<{ instancePath?: string; message?: string; params?: unknown }>; validationContext?: string };
  if (fe && Array.isArray(fe.validation)) {
    const problems = fe.validation.map((v) => ({ field: `${fe.validationContext ?? 'body'}${v.instancePath ?? ''}`, problem: v.message, params: v.params }));
    return { status: 400, code: 'VALIDATION_FAILED', message: `The ${fe.validationContext ?? 'request'} is not valid.`, details: { problems }, unexpected: false };
  }
  const code = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (code) return { status: ERRORS[code].status, code, message: ERRORS[code].message, details: {}, unexpected: false };
  if (err instanceof SyntaxError || (fe?.statusCode === 400 && /JSON/i.test(fe.message ?? ''))) {
    return { status: 400, code: 'INVALID_JSON', message: ERRORS.INVALID_JSON.message, details: {}, unexpected: false };
  }
  if (fe?.statusCode === 405) return { status: 405, code: 'METHOD_NOT_ALLOWED', message: ERRORS.METHOD_NOT_ALLOWED.message, details: {}, unexpected: false };
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: 400, code: 'VALIDATION_FAILED', message: fe.message ?? ERRORS.VALIDATION_FAILED.message, details: {}, unexpected: false };
  }
  // A full disk anywhere (a secret file, a log, SQLite): say so, it is not a bug to report.
  if (isDiskFull(err)) return { status: 507, code: 'INSUFFICIENT_STORAGE', message: ERRORS.INSUFFICIENT_STORAGE.message, details: {}, unexpected: false };
  return { status: 500, code: 'INTERNAL_ERROR', message: ERRORS.INTERNAL_ERROR.message, details: {}, unexpected: true };
}
