/**
 * The Queue port's contract: SQS semantics every adapter must show (DESIGN.md "Queues"). Run it
 * from `queue.<adapter>.test.ts` with a factory that builds a fresh, isolated queue per test.
 *
 * Time-dependent behaviour (visibility, delay, retention, age) is driven by the manual clock the
 * factory receives, so adapters must take their notion of "now" from it. Long polling is measured
 * in real time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueueDefinition } from '../../src/domain/queues.js';
import type { Queue } from '../../src/ports/queue.js';
import { expectBbwsError } from '../support/expect-error.js';
import { createManualClock, type ManualClock } from '../support/manual-clock.js';
import { describeQueueValidationContract } from './queue-validation.contract.js';

export interface QueueContractContext {
  queue: Queue;
  /** Releases everything the factory made (temp dir, connections); runs even if the test failed. */
  cleanup: () => Promise<void>;
}

export type MakeQueue = (options: { definitions: QueueDefinition[]; now: () => number }) => Promise<QueueContractContext>;

/** `work` dead-letters to `work-dlq` on the receive after its 2nd; `plain` keeps messages 60 s. */
export const CONTRACT_QUEUES: QueueDefinition[] = [
  { name: 'work', visibilityTimeoutSeconds: 30, maxReceiveCount: 2, deadLetterQueue: 'work-dlq', retentionSeconds: 4 * 24 * 3600 },
  { name: 'work-dlq', visibilityTimeoutSeconds: 30, retentionSeconds: 14 * 24 * 3600 },
  { name: 'plain', visibilityTimeoutSeconds: 10, retentionSeconds: 60 },
];

/**
 * What a backend cannot show through its API, each named and tested instead by the adapter's own
 * test file: `peekCountsAsReceive` (SQS has no peek: a look is a receive with visibility 0),
 * `oldestAgeFromMetrics` (SQS reports the age of the oldest message only as a CloudWatch metric),
 * `retentionByService` (SQS drops old messages itself; `expire()` has nothing to do),
 * `abortedPollMayClaim` (a long poll the client gave up on may still claim the next message on the
 * server; the adapter then releases it, moments later rather than never).
 */
export type QueueContractGap = 'peekCountsAsReceive' | 'oldestAgeFromMetrics' | 'retentionByService' | 'abortedPollMayClaim';

/** Registers the Queue contract suite for one adapter. */
export function describeQueueContract(name: string, makeQueue: MakeQueue, gaps: readonly QueueContractGap[] = []): void {
  const unless = (gap: QueueContractGap) => it.skipIf(gaps.includes(gap));
  describe(`Queue contract: ${name}`, () => {
    let ctx: QueueContractContext | undefined;
    let clock: ManualClock;
    const q = () => ctx!.queue;

    beforeEach(async () => {
      clock = createManualClock();
      ctx = await makeQueue({ definitions: CONTRACT_QUEUES, now: clock.now });
    });
    afterEach(async () => {
      const current = ctx;
      ctx = undefined;
      await current?.cleanup();
    });

    it('lists its queues with their redrive policies', () => {
      const defs = q().definitions();
      expect(defs.map((d) => d.name).sort()).toEqual(['plain', 'work', 'work-dlq']);
      expect(defs.find((d) => d.name === 'work')).toMatchObject({ deadLetterQueue: 'work-dlq', maxReceiveCount: 2 });
    });

    it('delivers a sent message with its id, body, receive count and times', async () => {
      const id = await q().send({ queue: 'work', body: 'héllo {"x":1}' });
      const [msg, ...rest] = await q().receive('work');
      expect(rest).toEqual([]);
      expect(msg).toMatchObject({ messageId: id, body: 'héllo {"x":1}', receiveCount: 1 });
      expect(msg.sentAt).toBe(new Date(clock.now()).toISOString());
      expect(msg.firstReceivedAt).toBe(new Date(clock.now()).toISOString());
      expect(typeof msg.receiptHandle).toBe('string');
    });

    it('returns nothing at once from an empty queue without waiting', async () => {
      const started = performance.now();
      expect(await q().receive('work')).toEqual([]);
      expect(performance.now() - started).toBeLessThan(500);
    });

    it('receives at most maxMessages at a time', async () => {
      for (let i = 0; i < 12; i++) await q().send({ queue: 'plain', body: `m${i}` });
      const first = await q().receive('plain', { maxMessages: 10 });
      const second = await q().receive('plain', { maxMessages: 10 });
      expect(first).toHaveLength(10);
      expect(second).toHaveLength(2);
      const bodies = [...first, ...second].map((m) => m.body).sort();
      expect(bodies).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
    });

    it('hides a received message for the visibility timeout, then delivers it again', async () => {
      await q().send({ queue: 'work', body: 'job' });
      const [first] = await q().receive('work');
      clock.advanceSeconds(29);
      expect(await q().receive('work')).toEqual([]);
      expect(await q().stats('work')).toMatchObject({ visible: 0, notVisible: 1 });
      clock.advanceSeconds(1);
      const [second] = await q().receive('work');
      expect(second.messageId).toBe(first.messageId);
      expect(second.receiveCount).toBe(2);
      expect(second.receiptHandle).not.toBe(first.receiptHandle);
      expect(second.firstReceivedAt).toBe(first.firstReceivedAt);
    });

    it('honours a per-receive visibility timeout', async () => {
      await q().send({ queue: 'work', body: 'short' });
      await q().receive('work', { visibilityTimeoutSeconds: 5 });
      clock.advanceSeconds(4);
      expect(await q().receive('work')).toEqual([]);
      clock.advanceSeconds(1);
      expect(await q().receive('work')).toHaveLength(1);
    });

    it('deletes with the current receipt handle; deleting again is a no-op', async () => {
      await q().send({ queue: 'work', body: 'done' });
      const [msg] = await q().receive('work');
      await q().delete('work', msg.receiptHandle);
      await q().delete('work', msg.receiptHandle);
      clock.advanceSeconds(60);
      expect(await q().receive('work')).toEqual([]);
      expect(await q().stats('work')).toMatchObject({ visible: 0, notVisible: 0, delayed: 0 });
    });

    it('ignores delete and changeVisibility with a stale receipt handle', async () => {
      await q().send({ queue: 'plain', body: 'twice' });
      const [old] = await q().receive('plain');
      clock.advanceSeconds(10);
      const [current] = await q().receive('plain');
      await q().delete('plain', old.receiptHandle);
      await q().changeVisibility('plain', old.receiptHandle, 0);
      // Still in flight under the current handle: the stale calls changed nothing.
      expect(await q().stats('plain')).toMatchObject({ visible: 0, notVisible: 1 });
      await q().delete('plain', current.receiptHandle);
      expect(await q().stats('plain')).toMatchObject({ visible: 0, notVisible: 0 });
    });

    it('extends and ends visibility with changeVisibility', async () => {
      await q().send({ queue: 'plain', body: 'lease' });
      const [msg] = await q().receive('plain');
      await q().changeVisibility('plain', msg.receiptHandle, 60);
      clock.advanceSeconds(59);
      expect(await q().receive('plain')).toEqual([]);
      clock.advanceSeconds(1);
      const [again] = await q().receive('plain');
      expect(again.messageId).toBe(msg.messageId);
      await q().changeVisibility('plain', again.receiptHandle, 0);
      const [third] = await q().receive('plain');
      expect(third).toMatchObject({ messageId: msg.messageId, receiveCount: 3 });
    });

    it('holds a delayed message back until its delay has passed', async () => {
      await q().send({ queue: 'plain', body: 'later', delaySeconds: 10 });
      expect(await q().stats('plain')).toMatchObject({ visible: 0, notVisible: 0, delayed: 1 });
      expect(await q().receive('plain')).toEqual([]);
      clock.advanceSeconds(9);
      expect(await q().receive('plain')).toEqual([]);
      clock.advanceSeconds(1);
      expect((await q().receive('plain')).map((m) => m.body)).toEqual(['later']);
    });

    it('moves a message to the DLQ instead of delivering it a (maxReceiveCount+1)th time', async () => {
      const id = await q().send({ queue: 'work', body: 'poison' });
      expect((await q().receive('work'))[0].receiveCount).toBe(1);
      clock.advanceSeconds(30);
      expect((await q().receive('work'))[0].receiveCount).toBe(2);
      clock.advanceSeconds(30);
      expect(await q().receive('work')).toEqual([]);
      expect(await q().stats('work')).toMatchObject({ visible: 0, notVisible: 0, delayed: 0 });
      const dead = await q().peek('work-dlq', 10);
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ messageId: id, body: 'poison', sourceQueue: 'work' });
      expect((await q().stats('work-dlq')).visible).toBe(1);
    });

    it('still delivers healthy messages in the receive that dead-letters a poisoned one', async () => {
      await q().send({ queue: 'work', body: 'poison' });
      await q().receive('work');
      clock.advanceSeconds(30);
      await q().receive('work');
      clock.advanceSeconds(30);
      await q().send({ queue: 'work', body: 'healthy' });
      const got = await q().receive('work', { maxMessages: 10 });
      expect(got.map((m) => m.body)).toEqual(['healthy']);
      expect((await q().peek('work-dlq', 10)).map((m) => m.body)).toEqual(['poison']);
    });

    it('redrives dead letters back to their source queue with a fresh receive count', async () => {
      await q().send({ queue: 'work', body: 'retry-me' });
      for (let i = 0; i < 3; i++) {
        await q().receive('work');
        clock.advanceSeconds(30);
      }
      expect((await q().stats('work-dlq')).visible).toBe(1);
      expect(await q().redrive('work-dlq')).toBe(1);
      expect(await q().stats('work-dlq')).toMatchObject({ visible: 0, notVisible: 0 });
      const [msg] = await q().receive('work');
      expect(msg).toMatchObject({ body: 'retry-me', receiveCount: 1 });
      expect(await q().redrive('work-dlq')).toBe(0);
    });

    it('purges every message of one queue and reports how many', async () => {
      await q().sendBatch([1, 2, 3].map((i) => ({ queue: 'plain', body: `p${i}` })));
      await q().send({ queue: 'work', body: 'keep' });
      await q().receive('plain');
      expect(await q().purge('plain')).toBe(3);
      expect(await q().stats('plain')).toMatchObject({ visible: 0, notVisible: 0, delayed: 0, oldestAgeSeconds: 0 });
      expect((await q().stats('work')).visible).toBe(1);
    });

    unless('oldestAgeFromMetrics')('reports depth, in-flight, delayed, oldest age and redrive policy', async () => {
      expect(await q().stats('work')).toEqual({
        queue: 'work',
        visible: 0,
        notVisible: 0,
        delayed: 0,
        oldestAgeSeconds: 0,
        deadLetterQueue: 'work-dlq',
        maxReceiveCount: 2,
      });
      await q().send({ queue: 'work', body: 'a' });
      clock.advanceSeconds(5);
      await q().sendBatch([
        { queue: 'work', body: 'b' },
        { queue: 'work', body: 'c', delaySeconds: 60 },
      ]);
      await q().receive('work');
      clock.advanceSeconds(2);
      expect(await q().stats('work')).toMatchObject({ visible: 1, notVisible: 1, delayed: 1, oldestAgeSeconds: 7 });
      expect(await q().stats('work-dlq')).toMatchObject({ deadLetterQueue: null, maxReceiveCount: null });
    });

    unless('peekCountsAsReceive')('peeks without receiving: no receive count, no visibility change', async () => {
      const id = await q().send({ queue: 'plain', body: 'look' });
      const peeked = await q().peek('plain', 10);
      expect(peeked).toEqual([{ messageId: id, body: 'look', receiveCount: 0, sentAt: new Date(clock.now()).toISOString(), sourceQueue: null }]);
      await q().peek('plain', 10);
      const [msg] = await q().receive('plain');
      expect(msg.receiveCount).toBe(1);
      expect(await q().peek('plain', 1)).toHaveLength(1);
    });

    unless('retentionByService')('expires messages older than their queue retention period', async () => {
      await q().send({ queue: 'plain', body: 'old' });
      await q().send({ queue: 'work', body: 'long-lived' });
      clock.advanceSeconds(30);
      await q().send({ queue: 'plain', body: 'young' });
      clock.advanceSeconds(30);
      expect(await q().expire()).toBe(1);
      expect((await q().peek('plain', 10)).map((m) => m.body)).toEqual(['young']);
      expect((await q().stats('work')).visible).toBe(1);
    });

    it('sends a batch and returns one distinct id per message, in order', async () => {
      const ids = await q().sendBatch([
        { queue: 'plain', body: 'one' },
        { queue: 'work', body: 'two' },
      ]);
      expect(ids).toHaveLength(2);
      expect(new Set(ids).size).toBe(2);
      expect((await q().receive('plain'))[0].messageId).toBe(ids[0]);
      expect((await q().receive('work'))[0].messageId).toBe(ids[1]);
    });

    it('never hands the same message to two concurrent receives', async () => {
      for (let i = 0; i < 20; i++) await q().send({ queue: 'plain', body: `c${i}` });
      const batches = await Promise.all([1, 2, 3, 4].map(() => q().receive('plain', { maxMessages: 10 })));
      const ids = batches.flat().map((m) => m.messageId);
      expect(ids).toHaveLength(20);
      expect(new Set(ids).size).toBe(20);
    });

    it('long polling returns as soon as a message is sent', async () => {
      const started = performance.now();
      const polling = q().receive('work', { waitTimeSeconds: 10 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await q().send({ queue: 'work', body: 'wake up' });
      const got = await polling;
      expect(got.map((m) => m.body)).toEqual(['wake up']);
      expect(performance.now() - started).toBeLessThan(500);
    });

    it('long polling gives up after waitTimeSeconds', async () => {
      const started = performance.now();
      expect(await q().receive('work', { waitTimeSeconds: 1 })).toEqual([]);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(elapsed).toBeLessThan(3000);
    });

    unless('abortedPollMayClaim')('an abort signal ends a long poll early and receives nothing', async () => {
      const controller = new AbortController();
      const started = performance.now();
      const polling = q().receive('work', { waitTimeSeconds: 20, signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      expect(await polling).toEqual([]);
      expect(performance.now() - started).toBeLessThan(1000);
      // An already aborted signal does not claim a waiting message either.
      await q().send({ queue: 'work', body: 'untouched' });
      expect(await q().receive('work', { signal: controller.signal })).toEqual([]);
      expect((await q().stats('work')).visible).toBe(1);
    });

    it('rejects unknown queues with QUEUE_NOT_FOUND', async () => {
      const handle = '1.AAAAAAAAAAAAAAAA';
      await expectBbwsError(q().send({ queue: 'nope', body: 'x' }), 'QUEUE_NOT_FOUND');
      await expectBbwsError(q().sendBatch([{ queue: 'nope', body: 'x' }]), 'QUEUE_NOT_FOUND');
      await expectBbwsError(q().receive('nope'), 'QUEUE_NOT_FOUND');
      await expectBbwsError(q().delete('nope', handle), 'QUEUE_NOT_FOUND');
      await expectBbwsError(q().changeVisibility('nope', handle, 1), 'QUEUE_NOT_FOUND');
      await expectBbwsError(q().stats('nope'), 'QUEUE_NOT_FOUND');
      await expectBbwsError(q().peek('nope', 1), 'QUEUE_NOT_FOUND');
      await expectBbwsError(q().redrive('nope'), 'QUEUE_NOT_FOUND');
      await expectBbwsError(q().purge('nope'), 'QUEUE_NOT_FOUND');
    });

    describeQueueValidationContract(q);
  });
}
