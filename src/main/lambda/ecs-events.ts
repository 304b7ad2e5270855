/**
 * Lambda entry point of the ECS event handler: the EventBridge rule of seed 004 invokes it with an
 * "ECS Service Action" or "ECS Deployment State Change" event. Duplicates and late events change
 * nothing (the event ledger, and state never moves backwards). A failure is thrown, so that the
 * rule's retry policy and its DLQ (`bbws-ecs-events-dlq-<env>`) apply.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { handleEcsEvent, parseEcsEvent } from '../../app/handle-ecs-event.js';
import { lambdaPlatform, withMetrics } from './compose.js';

export async function handler(event: EventBridgeEvent<string, unknown>) {
  return withMetrics(async () => {
    const { deps } = await lambdaPlatform();
    return handleEcsEvent(deps, parseEcsEvent(event));
  });
}
