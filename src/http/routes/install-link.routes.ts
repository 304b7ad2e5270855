/**
 * POST /v1.0/tenants/{tenantId}/install-link: a one-time link to the tenant's own WordPress
 * installer (install.php answers to nobody else). Platform-admin or the tenant's tenant-admin.
 * The link is a secret shown once: it is never stored for Idempotency-Key replays, and every
 * call issues a new link (the previous one stops working).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { issueInstallLink } from '../../app/issue-install-link.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { ErrorBody, TenantIdParams } from '../schemas.js';

const InstallLinkBody = Type.Object({
  tenantId: Type.String(),
  installUrl: Type.String({ description: "The tenant's /wp-admin/install.php with a one-time token. Shown once." }),
  expiresAt: Type.String({ format: 'date-time' }),
});

export function registerInstallLinkRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post<{ Params: { tenantId: string } }>(
    '/v1.0/tenants/:tenantId/install-link',
    {
      schema: {
        tags: ['tenants'],
        summary: "A one-time link to the tenant's WordPress installer (replaces the previous one)",
        params: TenantIdParams,
        response: { 201: InstallLinkBody, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const link = await issueInstallLink(deps, principalOf(request), request.params.tenantId);
      // A secret: not kept for an idempotent replay (a retry gets a new link instead).
      request.idempotency = null;
      return reply.code(201).header('cache-control', 'no-store').send(link);
    },
  );
}
