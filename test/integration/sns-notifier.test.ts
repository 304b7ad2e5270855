/**
 * The SNS notifier on fauxqs: a published notification reaches a queue subscribed to the topic
 * (as SNS's envelope), and feeding that message to the webhook side delivers the same notification.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startFauxqsEmulator, type RunningEmulator } from '../../src/adapters/aws/emulators.js';
import { createSnsNotifier, deliverTopicMessage, parseTopicMessage } from '../../src/adapters/aws/sns-notifier.js';
import type { Notification, Notifier } from '../../src/ports/notifier.js';

describe('SNS notifier (fauxqs)', () => {
  let emulator: RunningEmulator | undefined;
  afterEach(async () => {
    await emulator?.stop();
  });

  it('publishes to bbws-wp-notifications-<env>; a subscriber gets it and the webhooks deliver it', async () => {
    emulator = await startFauxqsEmulator();
    const config = { endpoint: emulator.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS };
    const sns = new SNSClient(config);
    const sqs = new SQSClient(config);
    const delivered: Notification[] = [];
    const webhooks = { publish: async (n: Notification) => void delivered.push(n), close: async () => {} } as unknown as Notifier;
    const notifier = await createSnsNotifier({ client: sns, topicName: 'bbws-wp-notifications-dev' });
    expect(notifier.topicArn).toMatch(/:bbws-wp-notifications-dev$/);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bbws-notifications-webhooks-dev' }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(new SubscribeCommand({ TopicArn: notifier.topicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn }));

    const notification: Notification = { notificationId: 'n-1', type: 'site.created', tenantId: 'acme', siteId: 'aaaaaaaaaa', data: { siteName: 'shop' }, occurredAt: '2030-01-01T00:00:00.000Z' };
    await notifier.publish(notification);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
    expect(Messages).toHaveLength(1);
    await deliverTopicMessage(Messages[0].Body!, webhooks);
    expect(delivered).toEqual([notification]);
    expect(() => parseTopicMessage(JSON.stringify({ notificationId: 'n-2', type: 'site.exploded', tenantId: 'a', siteId: 'b', occurredAt: 'x' }))).toThrow(/not a bbws notification/);
    sns.destroy();
    sqs.destroy();
  });
});
