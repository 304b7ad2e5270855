/**
 * Runs the Queue contract against the SQS adapter on fauxqs (a fresh emulator per test, in this
 * process, its clock driven by the contract's manual clock), plus what differs on SQS: the gaps
 * the contract skips are tested here with the behaviour SQS has instead.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startFauxqsEmulator, type RunningEmulator } from '../../src/adapters/aws/emulators.js';
import { createSqsQueue } from '../../src/adapters/aws/sqs-queue.js';
import { queueDefinitions, queueNames } from '../../src/domain/queues.js';
import type { QueueDefinition } from '../../src/domain/queues.js';
import type { Queue } from '../../src/ports/queue.js';
import { useClockForDateNow } from '../support/emulator-clock.js';
import { createManualClock } from '../support/manual-clock.js';
import { CONTRACT_QUEUES, describeQueueContract } from './queue.contract.js';

async function openSqsQueue(definitions: readonly QueueDefinition[], now?: () => number) {
  const restoreClock = now ? useClockForDateNow(now) : () => {};
  let emulator: RunningEmulator | undefined;
  try {
    emulator = await startFauxqsEmulator();
    const client = new SQSClient({ endpoint: emulator.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
    const queue = await createSqsQueue({ client, definitions });
    const running = emulator;
    return {
      queue,
      client,
      cleanup: async () => {
        try {
          await queue.close();
          client.destroy();
          await running.stop();
        } finally {
          restoreClock();
        }
      },
    };
  } catch (err) {
    await emulator?.stop();
    restoreClock();
    throw err;
  }
}

describeQueueContract('sqs (fauxqs)', ({ definitions, now }) => openSqsQueue(definitions, now), [
  'peekCountsAsReceive',
  'oldestAgeFromMetrics',
  'retentionByService',
  'abortedPollMayClaim',
]);

describe('SQS queue specifics', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  async function open(definitions: readonly QueueDefinition[] = CONTRACT_QUEUES, now?: () => number): Promise<Queue> {
    const ctx = await openSqsQueue(definitions, now);
    cleanups.push(ctx.cleanup);
    return ctx.queue;
  }

  it('creates the seed queues with their redrive policies (maxReceiveCount 3 into the DLQs)', async () => {
    const ctx = await openSqsQueue(queueDefinitions('dev'));
    cleanups.push(ctx.cleanup);
    const q = queueNames('dev');
    const { GetQueueUrlCommand, GetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
    const { QueueUrl } = await ctx.client.send(new GetQueueUrlCommand({ QueueName: q.siteCreation }));
    const { Attributes } = await ctx.client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: expect.stringMatching(new RegExp(`:${q.siteOperationsDlq}$`)), maxReceiveCount: 3 });
    expect(Attributes!.VisibilityTimeout).toBe('300');
    expect((await ctx.queue.stats(q.siteCreation)).deadLetterQueue).toBe(q.siteOperationsDlq);
  });

  it('peek is a receive released at once: the message stays visible and its count is reported net of the look', async () => {
    const clock = createManualClock();
    const q = await open(CONTRACT_QUEUES, clock.now);
    const id = await q.send({ queue: 'plain', body: 'look' });
    const [peeked] = await q.peek('plain', 10);
    expect(peeked).toMatchObject({ messageId: id, body: 'look', receiveCount: 0, sourceQueue: null });
    expect(await q.stats('plain')).toMatchObject({ visible: 1, notVisible: 0 });
    expect(await q.peek('plain', 10)).toMatchObject([{ messageId: id, receiveCount: 1 }]);
    const [msg] = await q.receive('plain');
    // The look counted as a receive on SQS.
    expect(msg.receiveCount).toBe(3);
  });

  it('reports oldest age as 0 (a CloudWatch metric on SQS) and expires nothing itself', async () => {
    const clock = createManualClock();
    const q = await open(CONTRACT_QUEUES, clock.now);
    await q.send({ queue: 'plain', body: 'a' });
    clock.advanceSeconds(120);
    expect((await q.stats('plain')).oldestAgeSeconds).toBe(0);
    expect(await q.expire()).toBe(0);
  });

  it('redrives a shared DLQ by hand when the endpoint has no StartMessageMoveTask: each message to its source, one of unknown source kept', async () => {
    const clock = createManualClock();
    const defs = queueDefinitions('dev');
    const names = queueNames('dev');
    const q = await open(defs, clock.now);
    await q.send({ queue: names.siteUpdate, body: 'poison' });
    for (let i = 0; i < 4; i++) {
      await q.receive(names.siteUpdate);
      clock.advanceSeconds(300);
    }
    // fauxqs does not say which queue a dead letter came from, and this DLQ has three sources: the
    // adapter's own attribute does. A message put into the DLQ itself has no source to go back to.
    await q.send({ queue: names.siteOperationsDlq, body: 'stray' });
    const peeked = await q.peek(names.siteOperationsDlq, 10);
    expect(peeked.map((m) => [m.body, m.sourceQueue]).sort()).toEqual([['poison', names.siteUpdate], ['stray', null]]);
    expect(await q.redrive(names.siteOperationsDlq)).toBe(1);
    expect((await q.receive(names.siteUpdate)).map((m) => m.body)).toEqual(['poison']);
    clock.advanceSeconds(30);
    expect((await q.receive(names.siteOperationsDlq)).map((m) => m.body)).toEqual(['stray']);
  });
});

describe('SQS long polls given up on', () => {
  it('end early on abort; a message the abandoned poll claims on the server is released, not hidden for the timeout', async () => {
    const ctx = await openSqsQueue(CONTRACT_QUEUES);
    try {
      const q = ctx.queue;
      const controller = new AbortController();
      const started = performance.now();
      const polling = q.receive('work', { waitTimeSeconds: 20, signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      expect(await polling).toEqual([]);
      expect(performance.now() - started).toBeLessThan(1000);
      await q.send({ queue: 'work', body: 'untouched' });
      expect(await q.receive('work', { signal: controller.signal })).toEqual([]);
      const deadline = performance.now() + 2000;
      while ((await q.stats('work')).visible !== 1 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await q.stats('work')).toMatchObject({ visible: 1, notVisible: 0 });
      expect((await q.receive('work')).map((m) => m.body)).toEqual(['untouched']);
    } finally {
      await ctx.cleanup();
    }
  });
});
