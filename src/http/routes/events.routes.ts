/**
 * POST /v1.0/events/ecs: one EventBridge ECS event, handled now (seed 004's test invocation). If
 * handling fails for an operational reason, the event is queued on `bbws-ecs-events-<env>` where
 * it is retried and, failing that, dead-lettered: the answer is then 202 `{"status": "queued"}`.
 */
import type { FastifyInstance } from 'fastify';
import { handleEcsEvent, parseEcsEvent } from '../../app/handle-ecs-event.js';
import { assertPlatformAdmin } from '../../domain/auth.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { ErrorBody, EventResultBody } from '../schemas.js';
import { errorMessage } from '../../domain/errors.js';

export function registerEventRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post(
    '/v1.0/events/ecs',
    {
      schema: {
        tags: ['events'],
        summary: 'Apply one EventBridge ECS event (platform-admin)',
        body: { type: 'object', description: 'An EventBridge event with source aws.ecs' },
        response: { 200: EventResultBody, 202: EventResultBody, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request, reply) => {
      assertPlatformAdmin(principalOf(request));
      const event = parseEcsEvent(request.body);
      try {
        return await handleEcsEvent(deps, event);
      } catch (err) {
        deps.logger.warn({ correlationId: request.id, eventId: event.id, err: errorMessage(err) }, 'event handling failed; queued for retry');
        await deps.queue.send({ queue: deps.queues.ecsEvents, body: JSON.stringify(event) });
        return reply.code(202).send({ status: 'queued', reason: 'Handling failed; the event was queued for retry.' });
      }
    },
  );
}
