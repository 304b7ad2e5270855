/**
 * Lambda entry point of the queue worker: an SQS event source with partial batch responses
 * (sqs-batch.ts). It serves the ECS events queue (`bbws-ecs-events-<env>`) and the queue subscribed
 * to the notifications topic (`bbws-wp-notifications-webhooks-<env>`: to the webhooks). The provisioning and
 * site queues need the ECS runtime, which is part 2 (docs/aws.md): their records fail here, so
 * they stay in SQS and reach their DLQ rather than being dropped.
 */
import type { SQSEvent, SQSBatchResponse } from 'aws-lambda';
import { handleEcsEvent, parseEcsEvent } from '../../app/handle-ecs-event.js';
import { lambdaPlatform, withMetrics } from './compose.js';
import { handleSqsBatch } from './sqs-batch.js';

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return withMetrics(async () => {
    const { deps, webhookFeed } = await lambdaPlatform();
    const routes = new Map<string, (body: string) => Promise<unknown>>([[deps.queues.ecsEvents, (body: string) => handleEcsEvent(deps, parseEcsEvent(JSON.parse(body)))]]);
    if (webhookFeed) routes.set(webhookFeed.queueName, webhookFeed.deliver);
    return handleSqsBatch(event, routes, deps.logger);
  });
}
