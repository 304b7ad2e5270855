/**
 * The Notifier port with SNS as the topic (seed 001: `bbws-wp-notifications-<env>`): `publish`
 * sends the notification to the SNS topic; webhook subscriptions and their signed deliveries stay
 * with the webhook notifier, fed from the topic (a queue or Lambda subscribed to it hands each
 * topic message to {@link deliverTopicMessage}). Tested on fauxqs's SNS, fanning out to SQS.
 */
import { CreateTopicCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { NOTIFICATION_TYPES, type Notification, type Notifier } from '../../ports/notifier.js';

export async function createSnsNotifier(options: { client: SNSClient; topicName: string; webhooks: Notifier }): Promise<Notifier & { topicArn: string }> {
  const { client, webhooks } = options;
  // CreateTopic is idempotent: it returns the existing topic's ARN.
  const { TopicArn } = await client.send(new CreateTopicCommand({ Name: options.topicName }));
  const topicArn = TopicArn!;
  return {
    topicArn,
    async publish(notification) {
      await client.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify(notification),
          MessageAttributes: { type: { DataType: 'String', StringValue: notification.type }, tenantId: { DataType: 'String', StringValue: notification.tenantId } },
        }),
      );
    },
    addWebhook: (input) => webhooks.addWebhook(input),
    listWebhooks: (tenantId) => webhooks.listWebhooks(tenantId),
    removeWebhook: (webhookId) => webhooks.removeWebhook(webhookId),
    listDeliveries: (o) => webhooks.listDeliveries(o),
    close: () => webhooks.close(),
  };
}

/** Parses one topic message (raw, or wrapped in SNS's JSON envelope); throws on anything else. */
export function parseTopicMessage(body: string): Notification {
  let value = JSON.parse(body) as Record<string, unknown>;
  if (value.Type === 'Notification' && typeof value.Message === 'string') value = JSON.parse(value.Message) as Record<string, unknown>;
  const n = value as unknown as Notification;
  if (!NOTIFICATION_TYPES.includes(n.type) || typeof n.tenantId !== 'string' || typeof n.siteId !== 'string' || typeof n.occurredAt !== 'string') {
    throw new Error('not a bbws notification');
  }
  return { type: n.type, tenantId: n.tenantId, siteId: n.siteId, data: n.data ?? {}, occurredAt: n.occurredAt };
}

/** Delivers a topic message to the webhooks (signed, retried, logged by the webhook notifier). */
export async function deliverTopicMessage(body: string, webhooks: Notifier): Promise<void> {
  await webhooks.publish(parseTopicMessage(body));
}
