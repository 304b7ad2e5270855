/**
 * /v1.0/tenants/{tenantId}/domains: claim a custom domain (201, with the TXT record to publish),
 * verify it (200 VERIFIED or 422 DOMAIN_CHALLENGE_FAILED), list claims.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { claimDomain, listDomains, verifyDomain } from '../../app/custom-domains.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { Open } from '../response-schemas.js';
import { ErrorBody, TenantIdParams } from '../schemas.js';

const strict = { additionalProperties: false } as const;
const DomainParams = Type.Object({ tenantId: Type.String({ maxLength: 64 }), domain: Type.String({ maxLength: 100 }) }, strict);
const ClaimBody = Type.Object({ domain: Type.String({ minLength: 1, maxLength: 253 }) }, strict);
const DomainView = Open({
  domain: Type.String(),
  status: Type.String({ enum: ['PENDING', 'VERIFIED'] }),
  challenge: Open({ type: Type.Literal('dns-txt'), name: Type.String({ description: '_bbws-challenge.<domain>' }), value: Type.String({ description: 'The TXT record value to publish.' }) }),
  createdAt: Type.String(),
  verifiedAt: Type.Union([Type.String(), Type.Null()]),
});
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export function registerDomainRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const base = '/v1.0/tenants/:tenantId/domains';
  app.post<{ Params: { tenantId: string }; Body: { domain: string } }>(
    base,
    { schema: { tags: ['domains'], summary: 'Claim a custom domain: answers the DNS TXT record that proves ownership', params: TenantIdParams, body: ClaimBody, response: { 201: DomainView, ...errors } } },
    async (request, reply) => reply.code(201).send(await claimDomain(deps, principalOf(request), request.params.tenantId, request.body.domain)),
  );
  app.post<{ Params: { tenantId: string; domain: string } }>(
    `${base}/:domain/verify`,
    { schema: { tags: ['domains'], summary: 'Check the TXT record `_bbws-challenge.<domain>`; VERIFIED domains may be routed', params: DomainParams, response: { 200: DomainView, 422: ErrorBody, 503: ErrorBody, ...errors } } },
    async (request) => verifyDomain(deps, principalOf(request), request.params.tenantId, request.params.domain),
  );
  app.get<{ Params: { tenantId: string } }>(
    base,
    { schema: { tags: ['domains'], summary: "The tenant's custom domains and their state", params: TenantIdParams, response: { 200: Open({ items: Type.Array(DomainView) }), ...errors } } },
    async (request) => listDomains(deps, principalOf(request), request.params.tenantId),
  );
}
