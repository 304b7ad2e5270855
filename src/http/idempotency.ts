/**
 * `Idempotency-Key` on POST: the first response (2xx or 4xx) for a key is stored for 24 h and
 * replayed for a retry with the same body; the same key with another body is a 422. Keys are
 * scoped by token subject and path, so two callers never see each other's responses.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BbwsError } from '../domain/errors.js';
import type { HttpDeps } from './http-deps.js';
import { appendRouteHook } from './route-hooks.js';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { key: string; scope: string; requestHash: string } | null;
  }
}

const KEY = /^[\x21-\x7e]{1,255}$/;
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

export function registerIdempotency(app: FastifyInstance, deps: HttpDeps): void {
  app.decorateRequest('idempotency', null);

  const preHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers['idempotency-key'];
    if (key === undefined || !request.principal) return;
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new BbwsError('VALIDATION_FAILED', 'Idempotency-Key must be 1-255 visible ASCII characters.', { field: 'Idempotency-Key' });
    }
    const scope = `${request.principal.subject} POST ${request.url}`;
    const requestHash = createHash('sha256').update(JSON.stringify(request.body ?? null)).digest('hex');
    const stored = await deps.store.getIdempotency(key, scope);
    if (stored && deps.now() - Date.parse(stored.createdAt) < IDEMPOTENCY_TTL_MS) {
      if (stored.requestHash !== requestHash) throw new BbwsError('IDEMPOTENCY_KEY_REUSED', undefined, { key });
      if (stored.statusCode >= 400) request.errorCode = /"code":"([A-Z_]+)"/.exec(stored.body)?.[1] ?? null;
      reply.header('idempotent-replayed', 'true').header('content-type', 'application/json; charset=utf-8').code(stored.statusCode);
      return reply.send(stored.body);
    }
    request.idempotency = { key, scope, requestHash };
  };

  const onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const idem = request.idempotency;
    if (!idem || reply.statusCode >= 500 || typeof payload !== 'string') return payload;
    request.idempotency = null;
    await deps.store.putIdempotency({
      key: idem.key,
      scope: idem.scope,
      requestHash: idem.requestHash,
      statusCode: reply.statusCode,
      body: payload,
      createdAt: new Date(deps.now()).toISOString(),
    });
    return payload;
  };

  // Only POST routes pay for these hooks.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes('POST')) return;
    appendRouteHook(route, 'preHandler', preHandler);
    appendRouteHook(route, 'onSend', onSend);
  });
}
