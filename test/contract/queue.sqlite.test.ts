/**
 * Runs the Queue contract against the SQLite adapter, plus what only an embedded queue can show:
 * messages survive reopening the file, and a second connection to the same file sees them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteQueue } from '../../src/adapters/queue/sqlite.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { createGroupCommitter } from '../../src/adapters/sqlite/group-commit.js';
import type { Queue } from '../../src/ports/queue.js';
import { createManualClock } from '../support/manual-clock.js';
import { CONTRACT_QUEUES, describeQueueContract } from './queue.contract.js';

describeQueueContract('sqlite', async ({ definitions, now }) => {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-queue-'));
  const db = openSqliteDatabase(join(dir, 'state', 'bbws.db'));
  // A long poll interval: the contract's "wakes as soon as a message is sent" then proves the
  // in-process notifier works, not that polling happens to be fast.
  const queue = createSqliteQueue({ db, definitions, now, pollIntervalMs: 2_000 });
  return {
    queue,
    cleanup: async () => {
      try {
        await queue.close();
        db.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
});

describe('SQLite queue specifics', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    // Run every cleanup even if one throws, so no temp dir outlives a failed test.
    const errors: unknown[] = [];
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        fn();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  });

  function tempFile(): string {
    const dir = mkdtempSync(join(tmpdir(), 'bbws-queue-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return join(dir, 'bbws.db');
  }

  function open(file: string, options: { now?: () => number; pollIntervalMs?: number } = {}): { db: SqliteDatabase; queue: Queue } {
    const db = openSqliteDatabase(file);
    const queue = createSqliteQueue({ db, definitions: CONTRACT_QUEUES, ...options });
    cleanups.push(() => {
      void queue.close();
      if (db.open) db.close();
    });
    return { db, queue };
  }

  it('keeps messages, receive counts and visibility across a reopen', async () => {
    const file = tempFile();
    const clock = createManualClock();
    const first = open(file, { now: clock.now });
    const id = await first.queue.send({ queue: 'work', body: 'durable' });
    await first.queue.send({ queue: 'plain', body: 'delayed', delaySeconds: 100 });
    await first.queue.receive('work');
    await first.queue.close();
    first.db.close();

    const second = open(file, { now: clock.now });
    expect(await second.queue.stats('work')).toMatchObject({ visible: 0, notVisible: 1 });
    expect(await second.queue.stats('plain')).toMatchObject({ delayed: 1 });
    clock.advanceSeconds(30);
    const [msg] = await second.queue.receive('work');
    expect(msg).toMatchObject({ messageId: id, body: 'durable', receiveCount: 2 });
  });

  it('wakes a long poll on another connection to the same file in this process', async () => {
    const file = tempFile();
    const producer = open(file);
    const consumer = open(file, { pollIntervalMs: 5_000 });
    const started = performance.now();
    const polling = consumer.queue.receive('work', { waitTimeSeconds: 10 });
    setTimeout(() => void producer.queue.send({ queue: 'work', body: 'across connections' }), 30);
    expect((await polling).map((m) => m.body)).toEqual(['across connections']);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('finds messages written behind its back by polling', async () => {
    const file = tempFile();
    const { db, queue } = open(file, { pollIntervalMs: 50 });
    const polling = queue.receive('plain', { waitTimeSeconds: 5 });
    // A raw insert fires no in-process notification, like a write from another process.
    setTimeout(() => {
      db.prepare('INSERT INTO queue_messages (message_id, queue, body, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)').run(
        'external-1',
        'plain',
        'from elsewhere',
        Date.now(),
        Date.now(),
      );
    }, 100);
    const got = await polling;
    expect(got.map((m) => [m.messageId, m.body])).toEqual([['external-1', 'from elsewhere']]);
  });

  it('ends pending long polls on close', async () => {
    const { queue } = open(tempFile());
    const started = performance.now();
    const polling = queue.receive('work', { waitTimeSeconds: 20 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await queue.close();
    expect(await polling).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(queue.send({ queue: 'work', body: 'x' })).rejects.toThrow(/closed/);
  });

  it('commits deletes issued together as one transaction, and each one takes effect', async () => {
    const { db, queue } = open(tempFile());
    // Frames in the WAL since the last truncation: one set per committed transaction.
    const walFrames = () => (db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0].log;
    const roundTrip = async (grouped: boolean) => {
      await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ queue: 'plain', body: `g${i}` })));
      const received = await queue.receive('plain', { maxMessages: 10 });
      db.pragma('wal_checkpoint(TRUNCATE)');
      if (grouped) await Promise.all(received.map((m) => queue.delete('plain', m.receiptHandle)));
      else for (const m of received) await queue.delete('plain', m.receiptHandle);
      expect(await queue.stats('plain')).toMatchObject({ visible: 0, notVisible: 0 });
      return walFrames();
    };
    const oneByOne = await roundTrip(false);
    const together = await roundTrip(true);
    expect(together).toBeGreaterThan(0);
    expect(oneByOne).toBeGreaterThanOrEqual(together * 5);
  });

  it('group commit: a failing write is rolled back alone while the others of its group commit', async () => {
    const db = openSqliteDatabase(tempFile());
    cleanups.push(() => db.close());
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
    const group = createGroupCommitter(db);
    const results = await Promise.allSettled([
      group.submit(() => insert.run(1, 'a').changes),
      group.submit(() => {
        insert.run(2, 'partial');
        throw new Error('second write fails after a partial change');
      }),
      group.submit(() => insert.run(3, 'c').changes),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT id, v FROM t ORDER BY id').all()).toEqual([
      { id: 1, v: 'a' },
      { id: 3, v: 'c' },
    ]);
  });

  it('rejects definitions whose dead-letter queue is missing', () => {
    const db = openSqliteDatabase(tempFile());
    cleanups.push(() => db.close());
    expect(() =>
      createSqliteQueue({ db, definitions: [{ name: 'a', visibilityTimeoutSeconds: 1, retentionSeconds: 60, deadLetterQueue: 'b', maxReceiveCount: 1 }] }),
    ).toThrow(/dead-letter queue b is not defined/);
  });
});
