/**
 * GET /v1.0/operations/{operationId}: type, status, steps (journal with durations), error.
 */
import type { FastifyInstance } from 'fastify';
import { retryOperation } from '../../app/retry-operation.js';
import { getOperation } from '../../app/tenant-queries.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { RetryAccepted } from '../response-schemas.js';
import { ErrorBody, OperationIdParams, OperationView } from '../schemas.js';

export function registerOperationRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Params: { operationId: string } }>(
    '/v1.0/operations/:operationId',
    { schema: { tags: ['operations'], summary: 'Get an operation and its steps', params: OperationIdParams, response: { 200: OperationView, 401: ErrorBody, 404: ErrorBody } } },
    async (request) => getOperation(deps, principalOf(request), request.params.operationId),
  );

  app.post<{ Params: { operationId: string } }>(
    '/v1.0/operations/:operationId/retry',
    { schema: { tags: ['operations'], summary: 'Run a FAILED operation again (a new operation with the same input)', params: OperationIdParams, response: { 202: RetryAccepted, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody } } },
    async (request, reply) => reply.code(202).send(await retryOperation(deps, principalOf(request), request.params.operationId, request.id)),
  );
}
