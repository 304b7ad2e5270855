/**
 * What every request carries besides Fastify's own fields (set by the hooks of `build-app.ts`),
 * and how a route reads the caller. Routes import this, never `build-app.ts`: the app registers
 * the routes, so a route importing the app would be an import cycle.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../domain/auth.js';
import { BbwsError } from '../domain/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    startedAt: bigint;
    /** The error registry code of an error response, for the request's log line. */
    errorCode: string | null;
  }
  interface FastifyContextConfig {
    /** Routes that need no token (health, metrics, openapi). */
    public?: boolean;
  }
}

/** The authenticated caller; UNAUTHORIZED on a public route that has none. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new BbwsError('UNAUTHORIZED');
  return request.principal;
}
