/**
 * Operator routes behind `bbws queues stats` and `bbws dlq list|redrive|purge` (seed 000 §5):
 * queue depth and age, DLQ inspection, redrive to the source queue, purge; and `bbws edge
 * basic-auth`, the edge's basic-auth credentials of SIT/PROD. platform-admin only.
 */
import type { FastifyInstance } from 'fastify';
import { readEdgeBasicAuth } from '../../app/read-edge-basic-auth.js';
import { assertPlatformAdmin } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import { describeOperation } from '../../domain/operation.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { EdgeBasicAuthView, OpenOperations, Purged, QueueMessages, QueueStatsList, Redriven } from '../response-schemas.js';
import { ErrorBody, PeekQuery, QueueNameParams } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

export function registerAdminRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const knownQueue = (name: string) => {
    if (!deps.queue.definitions().some((d) => d.name === name)) throw new BbwsError('QUEUE_NOT_FOUND', undefined, { queue: name });
    return name;
  };
  const isDlq = (name: string) => deps.queue.definitions().some((d) => d.deadLetterQueue === name);

  app.get('/v1.0/admin/queues', { schema: { tags: ['admin'], summary: 'Depth and age of every queue', response: { 200: QueueStatsList, ...errors } } }, async (request) => {
    assertPlatformAdmin(principalOf(request));
    return { items: await Promise.all(deps.queue.definitions().map((d) => deps.queue.stats(d.name))) };
  });

  app.get('/v1.0/admin/operations/open', { schema: { tags: ['admin'], summary: 'Operations not finished yet, oldest first (seed 000 §4.5 stuck operations)', response: { 200: OpenOperations, ...errors } } }, async (request) => {
    assertPlatformAdmin(principalOf(request));
    const now = deps.now();
    const ops = await deps.store.listOpenOperations();
    return {
      items: ops.map((op) => ({
        ...describeOperation(op),
        ageSeconds: Math.round((now - Date.parse(op.createdAt)) / 1000),
        pastDeadline: Date.parse(op.deadlineAt) <= now,
        currentStep: op.steps.filter((s) => s.status === 'IN_PROGRESS').map((s) => s.name).join(', ') || null,
      })),
    };
  });

  app.get<{ Params: { queue: string }; Querystring: { limit?: string } }>(
    '/v1.0/admin/queues/:queue/messages',
    { schema: { tags: ['admin'], summary: 'Inspect messages without receiving them', params: QueueNameParams, querystring: PeekQuery, response: { 200: QueueMessages, ...errors } } },
    async (request) => {
      assertPlatformAdmin(principalOf(request));
      const limit = request.query.limit === undefined ? 10 : Math.min(100, Math.max(1, Number(request.query.limit)));
      return { items: await deps.queue.peek(knownQueue(request.params.queue), limit) };
    },
  );

  app.post<{ Params: { queue: string } }>(
    '/v1.0/admin/queues/:queue/redrive',
    { schema: { tags: ['admin'], summary: 'Move every message of a DLQ back to its source queue', params: QueueNameParams, response: { 200: Redriven, ...errors } } },
    async (request) => {
      assertPlatformAdmin(principalOf(request));
      const name = knownQueue(request.params.queue);
      if (!isDlq(name)) throw new BbwsError('VALIDATION_FAILED', `${name} is not a dead-letter queue.`, { queue: name });
      const moved = await deps.queue.redrive(name);
      deps.logger.info({ action: 'DLQ_REDRIVE', queue: name, moved, correlationId: request.id, status: 'OK' }, `redrove ${moved} messages from ${name}`);
      return { queue: name, moved };
    },
  );

  app.post<{ Params: { queue: string } }>(
    '/v1.0/admin/queues/:queue/purge',
    { schema: { tags: ['admin'], summary: 'Delete every message of a queue (emergency only)', params: QueueNameParams, response: { 200: Purged, ...errors } } },
    async (request) => {
      assertPlatformAdmin(principalOf(request));
      const name = knownQueue(request.params.queue);
      const purged = await deps.queue.purge(name);
      deps.logger.warn({ action: 'QUEUE_PURGE', queue: name, purged, correlationId: request.id, status: 'OK' }, `purged ${purged} messages from ${name}`);
      return { queue: name, purged };
    },
  );

  app.get(
    '/v1.0/admin/edge/basic-auth',
    { schema: { tags: ['admin'], summary: "The edge's basic-auth user and password (SIT, PROD); every read is recorded", response: { 200: EdgeBasicAuthView, ...errors } } },
    async (request, reply) => {
      const credentials = await readEdgeBasicAuth(deps, principalOf(request), request.id);
      // A secret: no cache keeps it, and no idempotency record (GETs get none) holds it.
      return reply.header('cache-control', 'no-store').send(credentials);
    },
  );
}
