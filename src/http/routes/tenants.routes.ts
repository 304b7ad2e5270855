/**
 * /v1.0/tenants: create, list, get, instance get/scale, delete.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { createTenant } from '../../app/create-tenant.js';
import { deleteTenant, parseDeleteMode, rollbackInstance, scaleInstance } from '../../app/change-instance.js';
import { getInstanceView, getTenant, listTenantOperations, listTenants } from '../../app/tenant-queries.js';
import { assertPlatformAdmin, assertTenantAccess } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import { parseIfMatch, parseLimit } from '../params.js';
import { principalOf } from '../request-context.js';
import { createFrozenBodySender } from '../frozen-body.js';
import type { HttpDeps } from '../http-deps.js';
import {
  AcceptedBody,
  CreateTenantBody,
  DeleteQuery,
  ErrorBody,
  InstanceView,
  ListQuery,
  OperationView,
  ScaleBody,
  TenantIdParams,
  TenantList,
  TenantView,
} from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export function registerTenantRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post<{ Body: CreateTenantBody }>(
    '/v1.0/tenants',
    { schema: { tags: ['tenants'], summary: 'Create a tenant (async)', body: CreateTenantBody, response: { 202: AcceptedBody, ...errors } } },
    async (request, reply) => {
      assertPlatformAdmin(principalOf(request));
      const result = await createTenant(deps, request.body, request.id);
      return reply.code(202).header('location', `/v1.0/operations/${result.operationId}`).send(result);
    },
  );

  app.get<{ Querystring: { limit?: string; nextToken?: string } }>(
    '/v1.0/tenants',
    { schema: { tags: ['tenants'], summary: 'List tenants', querystring: ListQuery, response: { 200: TenantList, ...errors } } },
    async (request) => listTenants(deps, principalOf(request), parseLimit(request.query.limit), request.query.nextToken ?? null),
  );

  const sendTenant = deps.frozenBodies ? createFrozenBodySender() : (reply: FastifyReply, value: object) => reply.send(value);
  app.get<{ Params: { tenantId: string } }>(
    '/v1.0/tenants/:tenantId',
    { schema: { tags: ['tenants'], summary: 'Get a tenant and its instance', params: TenantIdParams, response: { 200: TenantView, ...errors } } },
    async (request, reply) => {
      const view = await getTenant(deps, principalOf(request), request.params.tenantId);
      return sendTenant(reply.header('etag', `"${view.version}"`), view);
    },
  );

  app.get<{ Params: { tenantId: string } }>(
    '/v1.0/tenants/:tenantId/instance',
    { schema: { tags: ['tenants'], summary: 'Get the instance state', params: TenantIdParams, response: { 200: InstanceView, ...errors } } },
    async (request, reply) => {
      const view = await getInstanceView(deps, principalOf(request), request.params.tenantId);
      return reply.header('etag', `"${view.version}"`).send(view);
    },
  );

  app.patch<{ Params: { tenantId: string }; Body: { desiredCount?: number; limits?: unknown } }>(
    '/v1.0/tenants/:tenantId/instance',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Scale the instance and/or change its per-tenant limits (async); If-Match: <version> guards against lost updates',
        params: TenantIdParams,
        body: ScaleBody,
        response: { 202: AcceptedBody, ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      assertTenantAccess(principal, request.params.tenantId);
      const expected = parseIfMatch(request.headers['if-match']);
      return reply.code(202).send(await scaleInstance(deps, request.params.tenantId, request.body, request.id, expected));
    },
  );

  app.post<{ Params: { tenantId: string } }>(
    '/v1.0/tenants/:tenantId/instance/rollback',
    { schema: { tags: ['tenants'], summary: 'Roll the instance back to its previous spec revision (async)', params: TenantIdParams, response: { 202: AcceptedBody, ...errors } } },
    async (request, reply) => {
      assertPlatformAdmin(principalOf(request));
      return reply.code(202).send(await rollbackInstance(deps, request.params.tenantId, request.id));
    },
  );

  app.delete<{ Params: { tenantId: string }; Querystring: { mode?: 'soft' | 'hard' } }>(
    '/v1.0/tenants/:tenantId',
    { schema: { tags: ['tenants'], summary: 'Deprovision a tenant (async): soft keeps data, hard removes everything', params: TenantIdParams, querystring: DeleteQuery, response: { 202: AcceptedBody, ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      assertTenantAccess(principal, request.params.tenantId);
      assertPlatformAdmin(principal);
      const expected = parseIfMatch(request.headers['if-match']);
      return reply.code(202).send(await deleteTenant(deps, request.params.tenantId, parseDeleteMode(request.query.mode), request.id, expected));
    },
  );

  app.get<{ Params: { tenantId: string }; Querystring: { limit?: string } }>(
    '/v1.0/tenants/:tenantId/operations',
    {
      schema: {
        tags: ['operations'],
        summary: "A tenant's operations, newest first",
        params: TenantIdParams,
        querystring: Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(OperationView) }), ...errors },
      },
    },
    async (request) => listTenantOperations(deps, principalOf(request), request.params.tenantId, parseLimit(request.query.limit)),
  );
}
