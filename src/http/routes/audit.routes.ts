/**
 * GET /v1.0/audit: the audit log (seed 002 "Review Audit Logs"). A platform-admin sees every
 * entry; a tenant-admin only its own tenant's (asking for another tenant answers 404, as
 * everywhere: existence does not leak).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { assertTenantAccess } from '../../domain/auth.js';
import { sinceToIso } from '../../domain/since.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { Open } from '../response-schemas.js';
import { ErrorBody } from '../schemas.js';

const AuditQuery = Type.Object(
  {
    since: Type.Optional(Type.String({ maxLength: 64, description: 'A duration back from now (30m, 24h, 1d) or an ISO time; default 1d' })),
    tenant: Type.Optional(Type.String({ maxLength: 64 })),
    actor: Type.Optional(Type.String({ maxLength: 128 })),
    action: Type.Optional(Type.String({ maxLength: 128, description: 'Exact action or a prefix (POST, TOKEN_CREATE)' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  },
  { additionalProperties: false },
);
type AuditQuery = { since?: string; tenant?: string; actor?: string; action?: string; limit?: string };

const AuditList = Open({ items: Type.Array(Open({ seq: Type.Integer(), time: Type.String(), action: Type.String(), target: Type.String(), hash: Type.String() })) });

export function registerAuditRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Querystring: AuditQuery }>(
    '/v1.0/audit',
    { schema: { tags: ['admin'], summary: 'Audit log entries, oldest first (a tenant-admin sees its own tenant only)', querystring: AuditQuery, response: { 200: AuditList, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } } },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query;
      if (q.tenant) assertTenantAccess(principal, q.tenant);
      const tenantId = principal.role === 'platform-admin' ? q.tenant : (principal.tenantId ?? '-') // a tenant-admin without a tenant sees nothing;
      const since = sinceToIso(q.since ?? '1d', deps.now());
      const limit = q.limit === undefined ? 1000 : Math.min(10_000, Math.max(1, Number(q.limit)));
      return { items: await deps.audit.list({ since, tenantId, actor: q.actor, action: q.action, limit }) };
    },
  );
}
