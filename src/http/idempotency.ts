/**
 * `Idempotency-Key` on POST: the first response (2xx or 4xx) for a key is stored for 24 h and
 * replayed for a retry with the same body; the same key with another body is a 422. Keys are
 * scoped by token subject and path, so two callers never see each other's responses.
 *
 * Show-once secrets (a new site's `adminPassword`) are never stored: a route names them in its
 * `config.secretFields`, and the stored copy has each one set to null with `<field>Shown: true`
 * next to it. A replay answers the same ids and status, and says the secret was already shown.
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
  interface FastifyContextConfig {
    /** Response fields shown once: left out of the stored copy that replays answer with. */
    secretFields?: readonly string[];
  }
}

/**
 * The body a replay may answer with: each secret field that carries a value becomes null, with
 * `<field>Shown: true` beside it. A body that is not a JSON object is returned as it is.
 */
export function withoutSecrets(body: string, secretFields: readonly string[]): string {
  if (secretFields.length === 0) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return body;
  const record = parsed as Record<string, unknown>;
  for (const field of secretFields) {
    if (record[field] === undefined || record[field] === null) continue;
    record[field] = null;
    record[`${field}Shown`] = true;
  }
  return JSON.stringify(record);
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

  const onSendFor = (secretFields: readonly string[]) => async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const idem = request.idempotency;
    if (!idem || reply.statusCode >= 500 || typeof payload !== 'string') return payload;
    request.idempotency = null;
    await deps.store.putIdempotency({
      key: idem.key,
      scope: idem.scope,
      requestHash: idem.requestHash,
      statusCode: reply.statusCode,
      body: withoutSecrets(payload, secretFields),
      createdAt: new Date(deps.now()).toISOString(),
    });
    return payload;
  };

  // Only POST routes pay for these hooks.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes('POST')) return;
    appendRouteHook(route, 'preHandler', preHandler);
    appendRouteHook(route, 'onSend', onSendFor(route.config?.secretFields ?? []));
  });
}
