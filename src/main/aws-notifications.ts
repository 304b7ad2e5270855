/**
 * Notifications on AWS (`--queues sqs`, the Lambda handlers): the outbox relay publishes each one
 * to the SNS topic `bbws-wp-notifications-<env>` (seed 001), and the queue
 * `bbws-wp-notifications-webhooks-<env>`, subscribed to the topic (raw delivery), feeds the webhook
 * notifier, which signs, sends, retries and logs as it does embedded. A topic message that cannot be
 * delivered comes back, then goes to the queue's DLQ. Other subscribers (email, a Lambda) can be
 * added to the topic without the platform knowing.
 */
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createSnsNotifier, deliverTopicMessage } from '../adapters/aws/sns-notifier.js';
import { consumeQueue } from '../app/consume-queue.js';
import type { Environment } from '../domain/naming.js';
import { notificationQueueNames } from '../domain/queues.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { Notifier } from '../ports/notifier.js';
import type { Queue } from '../ports/queue.js';
import type { StateSettings } from './state-settings.js';

export interface AwsNotifications {
  /** Publishes to the topic. */
  topic: Notifier & { topicArn: string };
  /** The subscribed queue's name. */
  queueName: string;
  close(): void;
}

/** Opens the topic (created if missing) and subscribes the webhook queue to it (both idempotent). The queue must exist. */
export async function openAwsNotifications(settings: StateSettings, env: Environment, sqs: SQSClient): Promise<AwsNotifications> {
  const sns = new SNSClient({ region: settings.region, endpoint: settings.endpoints.sns });
  try {
    const topic = await createSnsNotifier({ client: sns, topicName: `bbws-wp-notifications-${env}` });
    const queueName = notificationQueueNames(env).webhookDeliveries;
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    const queueArn = Attributes?.QueueArn;
    if (!queueArn) throw new Error(`no ARN for the queue ${queueName}`);
    // SNS may send to the queue only for this topic.
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queueArn, Condition: { ArnEquals: { 'aws:SourceArn': topic.topicArn } } }] };
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
    await sns.send(new SubscribeCommand({ TopicArn: topic.topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' }, ReturnSubscriptionArn: true }));
    return { topic, queueName, close: () => sns.destroy() };
  } catch (err) {
    sns.destroy();
    throw new Error(`cannot open the notifications topic (SNS ${settings.endpoints.sns ?? 'AWS'}): ${(err as Error).message}`);
  }
}

export { deliverTopicMessage };

/** Hands each topic message of the subscribed queue to the webhook notifier, until aborted. */
export function runWebhookFeed(deps: { queue: Queue; logger: Logger; metrics: Metrics; webhooks: Notifier }, queueName: string, signal: AbortSignal): Promise<void> {
  return consumeQueue({ queue: deps.queue, queueName, logger: deps.logger, metrics: deps.metrics, concurrency: 4, signal, handle: (message) => deliverTopicMessage(message.body, deps.webhooks) });
}
