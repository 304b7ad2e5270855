/**
 * The Notifier port with SNS as the topic (seed 001: `bbws-wp-notifications-<env>`): `publish`
 * sends the notification to the SNS topic; the signed webhook deliveries stay with the webhook
 * notifier, fed from the topic (a queue or Lambda subscribed to it hands each topic message to
 * {@link deliverTopicMessage}; it is idempotent by notificationId). Tested on fauxqs's SNS,
 * fanning out to SQS.
 */
import { CreateTopicCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { BbwsError } from '../../domain/errors.js';
import { NOTIFICATION_TYPES, type Notification, type Notifier } from '../../ports/notifier.js';

export async function createSnsNotifier(options: { client: SNSClient; topicName: string }): Promise<Notifier & { topicArn: string }> {
  const { client } = options;
  // CreateTopic is idempotent: it returns the existing topic's ARN.
  const { TopicArn } = await client.send(new CreateTopicCommand({ Name: options.topicName }));
  const topicArn = TopicArn!;
  return {
    topicArn,
    async publish(notification) {
      if (!NOTIFICATION_TYPES.includes(notification.type)) {
        throw new BbwsError('VALIDATION_FAILED', `Unknown notification type ${JSON.stringify(notification.type)}.`, { field: 'type' });
      }
      // Durable once SNS has accepted it. SNS may deliver it twice; the webhook side dedupes by notificationId.
      await client.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify(notification),
          MessageAttributes: {
            type: { DataType: 'String', StringValue: notification.type },
            tenantId: { DataType: 'String', StringValue: notification.tenantId },
            notificationId: { DataType: 'String', StringValue: notification.notificationId },
          },
        }),
      );
    },
    close: async () => {},
  };
}

/** Parses one topic message (raw, or wrapped in SNS's JSON envelope); throws on anything else. */
export function parseTopicMessage(body: string): Notification {
  let value = JSON.parse(body) as Record<string, unknown>;
  if (value.Type === 'Notification' && typeof value.Message === 'string') value = JSON.parse(value.Message) as Record<string, unknown>;
  const n = value as unknown as Notification;
  if (!NOTIFICATION_TYPES.includes(n.type) || typeof n.notificationId !== 'string' || typeof n.tenantId !== 'string' || typeof n.siteId !== 'string' || typeof n.occurredAt !== 'string') {
    throw new Error('not a bbws notification');
  }
  return { notificationId: n.notificationId, type: n.type, tenantId: n.tenantId, siteId: n.siteId, data: n.data ?? {}, occurredAt: n.occurredAt };
}

/** Delivers a topic message to the webhooks (signed, retried, logged by the webhook notifier). */
export async function deliverTopicMessage(body: string, webhooks: Notifier): Promise<void> {
  await webhooks.publish(parseTopicMessage(body));
}
