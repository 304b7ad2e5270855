/**
 * What fauxqs lacks, against a FAKE of SQS (aws-sdk-client-mock: the real SDK client and commands,
 * answered as the SQS API reference documents them): DLQ redrive by StartMessageMoveTask, waited
 * for through ListMessageMoveTasks, and the source of a dead letter from DeadLetterQueueSourceArn.
 * fauxqs covers the rest of the adapter (queue.sqs.test.ts).
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  ChangeMessageVisibilityCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqsQueue } from '../../src/adapters/aws/sqs-queue.js';
import { queueDefinitions, queueNames } from '../../src/domain/queues.js';

const ACCOUNT = 'arn:aws:sqs:us-east-1:123456789012';
const names = queueNames('dev');

function fakeSqs() {
  const client = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' } });
  const mock = mockClient(client);
  mock.on(CreateQueueCommand).callsFake((input) => ({ QueueUrl: `https://sqs.us-east-1.amazonaws.com/123456789012/${input.QueueName}` }));
  mock.on(GetQueueAttributesCommand).callsFake((input) => ({ Attributes: { QueueArn: `${ACCOUNT}:${String(input.QueueUrl).split('/').pop()}` } }));
  mock.on(ChangeMessageVisibilityCommand).resolves({});
  return { client, mock };
}

describe('SQS features fauxqs lacks (fake service)', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it('redrives a DLQ with a message move task and reports how many it moved', async () => {
    const { client, mock } = fakeSqs();
    restore = () => mock.restore();
    mock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-1' });
    mock.on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [{ TaskHandle: 'handle-1', Status: 'RUNNING', SourceArn: `${ACCOUNT}:${names.siteOperationsDlq}` }] })
      .resolves({ Results: [{ TaskHandle: 'handle-1', Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3, SourceArn: `${ACCOUNT}:${names.siteOperationsDlq}` }] });
    const q = await createSqsQueue({ client, definitions: queueDefinitions('dev') });
    expect(await q.redrive(names.siteOperationsDlq)).toBe(3);
    // No DestinationArn: SQS sends each message back to the queue it came from.
    expect(mock.commandCalls(StartMessageMoveTaskCommand).map((c) => c.args[0].input)).toEqual([{ SourceArn: `${ACCOUNT}:${names.siteOperationsDlq}` }]);
  });

  it('a move task that fails is QUEUE_UNAVAILABLE with the reason; an endpoint without the call falls back to moving by hand', async () => {
    const { client, mock } = fakeSqs();
    restore = () => mock.restore();
    mock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-2' });
    mock.on(ListMessageMoveTasksCommand).resolves({ Results: [{ Status: 'FAILED', FailureReason: 'AWS.SimpleQueueService.NonExistentQueue' }] });
    const q = await createSqsQueue({ client, definitions: queueDefinitions('dev') });
    await expect(q.redrive(names.siteOperationsDlq)).rejects.toMatchObject({ code: 'QUEUE_UNAVAILABLE', message: expect.stringContaining('NonExistentQueue') });

    mock.on(StartMessageMoveTaskCommand).rejects(Object.assign(new Error('not supported'), { name: 'UnsupportedOperation' }));
    mock.on(ReceiveMessageCommand).resolves({ Messages: [] });
    expect(await q.redrive(names.siteOperationsDlq)).toBe(0);
    expect(mock.commandCalls(ReceiveMessageCommand).length).toBeGreaterThan(0);
  });

  it('peek names the source of a dead letter from DeadLetterQueueSourceArn', async () => {
    const { client, mock } = fakeSqs();
    restore = () => mock.restore();
    mock.on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: 'dead', Attributes: { ApproximateReceiveCount: '4', SentTimestamp: '1900000000000', DeadLetterQueueSourceArn: `${ACCOUNT}:${names.siteDeletion}` } }] })
      .resolves({ Messages: [] });
    const q = await createSqsQueue({ client, definitions: queueDefinitions('dev') });
    expect(await q.peek(names.siteOperationsDlq, 10)).toMatchObject([{ body: 'dead', sourceQueue: names.siteDeletion }]);
  });
});
