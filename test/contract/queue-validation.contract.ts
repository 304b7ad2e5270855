/**
 * The Queue contract's input validation: what SQS rejects, every adapter rejects, with
 * VALIDATION_FAILED naming the field, and without sending anything. Part of
 * `describeQueueContract`; not meant to be run alone.
 */
import { describe, expect, it } from 'vitest';
import type { Queue } from '../../src/ports/queue.js';
import { expectBbwsError } from '../support/expect-error.js';

const KIB = 1024;

/** Registers the validation tests; `q` returns the current test's queue. */
export function describeQueueValidationContract(q: () => Queue): void {
  describe('validation', () => {
    const nothingSent = async () => {
      for (const name of ['work', 'plain']) {
        expect(await q().stats(name)).toMatchObject({ visible: 0, notVisible: 0, delayed: 0 });
      }
    };

    it('rejects receive options outside SQS limits', async () => {
      await expectBbwsError(q().receive('work', { maxMessages: 0 }), 'VALIDATION_FAILED', 'maxMessages');
      await expectBbwsError(q().receive('work', { maxMessages: 11 }), 'VALIDATION_FAILED', 'maxMessages');
      await expectBbwsError(q().receive('work', { maxMessages: 1.5 }), 'VALIDATION_FAILED', 'maxMessages');
      await expectBbwsError(q().receive('work', { waitTimeSeconds: 21 }), 'VALIDATION_FAILED', 'waitTimeSeconds');
      await expectBbwsError(q().receive('work', { waitTimeSeconds: -1 }), 'VALIDATION_FAILED', 'waitTimeSeconds');
      await expectBbwsError(
        q().receive('work', { visibilityTimeoutSeconds: 43_201 }),
        'VALIDATION_FAILED',
        'visibilityTimeoutSeconds',
      );
      await expectBbwsError(q().receive('work', { visibilityTimeoutSeconds: -1 }), 'VALIDATION_FAILED', 'visibilityTimeoutSeconds');
    });

    it('accepts the limits themselves', async () => {
      await q().send({ queue: 'plain', body: 'x'.repeat(256 * KIB), delaySeconds: 900 });
      expect(await q().receive('plain', { maxMessages: 10, visibilityTimeoutSeconds: 43_200 })).toEqual([]);
      expect((await q().stats('plain')).delayed).toBe(1);
    });

    it('rejects empty bodies, bodies over 256 KiB (in UTF-8 bytes) and delays over 900 s', async () => {
      await expectBbwsError(q().send({ queue: 'work', body: '' }), 'VALIDATION_FAILED', 'body');
      await expectBbwsError(q().send({ queue: 'work', body: 'x'.repeat(256 * KIB + 1) }), 'VALIDATION_FAILED', 'body');
      // 128 KiB + 1 two-byte characters: under the limit in characters, over it in bytes.
      await expectBbwsError(q().send({ queue: 'work', body: 'é'.repeat(128 * KIB + 1) }), 'VALIDATION_FAILED', 'body');
      await expectBbwsError(q().send({ queue: 'work', body: 'x', delaySeconds: 901 }), 'VALIDATION_FAILED', 'delaySeconds');
      await expectBbwsError(q().send({ queue: 'work', body: 'x', delaySeconds: -1 }), 'VALIDATION_FAILED', 'delaySeconds');
      await expectBbwsError(q().send({ queue: 'work', body: 'x', delaySeconds: 0.5 }), 'VALIDATION_FAILED', 'delaySeconds');
      await nothingSent();
    });

    it('rejects empty and oversized batches, and sends nothing of a batch with one bad entry', async () => {
      await expectBbwsError(q().sendBatch([]), 'VALIDATION_FAILED', 'messages');
      const eleven = Array.from({ length: 11 }, (_, i) => ({ queue: 'work', body: `b${i}` }));
      await expectBbwsError(q().sendBatch(eleven), 'VALIDATION_FAILED', 'messages');
      const tooBigInAll = [1, 2].map(() => ({ queue: 'work', body: 'x'.repeat(200 * KIB) }));
      await expectBbwsError(q().sendBatch(tooBigInAll), 'VALIDATION_FAILED', 'messages');
      await expectBbwsError(
        q().sendBatch([
          { queue: 'work', body: 'fine' },
          { queue: 'plain', body: '' },
        ]),
        'VALIDATION_FAILED',
        'body',
      );
      await expectBbwsError(
        q().sendBatch([
          { queue: 'work', body: 'fine' },
          { queue: 'missing', body: 'x' },
        ]),
        'QUEUE_NOT_FOUND',
      );
      await nothingSent();
    });

    it('rejects a visibility change outside 0-43200 s and a receipt handle it never issued', async () => {
      await q().send({ queue: 'work', body: 'x' });
      const [msg] = await q().receive('work');
      await expectBbwsError(q().changeVisibility('work', msg.receiptHandle, 43_201), 'VALIDATION_FAILED', 'visibilityTimeoutSeconds');
      await expectBbwsError(q().changeVisibility('work', msg.receiptHandle, -1), 'VALIDATION_FAILED', 'visibilityTimeoutSeconds');
      await expectBbwsError(q().delete('work', 'not a receipt handle'), 'VALIDATION_FAILED', 'receiptHandle');
      // The message is still in flight under its handle after the rejected calls.
      expect(await q().stats('work')).toMatchObject({ visible: 0, notVisible: 1 });
    });

    it('rejects a peek limit outside 1-1000', async () => {
      await expectBbwsError(q().peek('work', 0), 'VALIDATION_FAILED', 'limit');
      await expectBbwsError(q().peek('work', 1001), 'VALIDATION_FAILED', 'limit');
    });
  });
}
