/**
 * GET /v1.0/operations/{operationId}: type, status, steps (journal with durations), error.
 */
import type { FastifyInstance } from 'fastify';
import { getOperation } from '../../app/tenant-queries.js';
import { principalOf } from '../build-app.js';
import type { HttpDeps } from '../http-deps.js';
import { ErrorBody, OperationIdParams, OperationView } from '../schemas.js';

export function registerOperationRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Params: { operationId: string } }>(
    '/v1.0/operations/:operationId',
    { schema: { tags: ['operations'], summary: 'Get an operation and its steps', params: OperationIdParams, response: { 200: OperationView, 401: ErrorBody, 404: ErrorBody } } },
    async (request) => getOperation(deps, principalOf(request), request.params.operationId),
  );
}
