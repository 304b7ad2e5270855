/**
 * The embedded queue: SQS semantics on a SQLite table (DESIGN.md "Queues"). Messages live only in
 * the database, so they survive a killed process; several processes may use the same file.
 *
 * Receiving claims messages inside one `BEGIN IMMEDIATE` transaction: the write lock is taken
 * before the candidates are read, so two receivers (in this or another process) can never claim
 * the same message. Each claim writes a fresh receipt token; a handle carrying an older token no
 * longer matches any row, which is what makes a stale delete or visibility change a no-op.
 *
 * Sends, claims, deletes and visibility changes requested in the same turn of the event loop
 * share one transaction and so one fsync (group commit, see `group-commit.ts`); no promise
 * settles before its write has committed. While another process holds the write lock, a write
 * here blocks the event loop for up to the database's busy timeout (better-sqlite3 is
 * synchronous); one process per host doing the queue work is the expected deployment.
 */
import { randomUUID } from 'node:crypto';
import { BbwsError } from '../../domain/errors.js';
import type { QueueDefinition } from '../../domain/queues.js';
import type { OutgoingMessage, PeekedMessage, Queue, QueueStats, ReceivedMessage, ReceiveOptions } from '../../ports/queue.js';
import { isIdentityAlive, processIdentity } from '../os/processes.js';
import type { SqliteDatabase } from '../sqlite/database.js';
import { createGroupCommitter } from '../sqlite/group-commit.js';
import {
  QUEUE_LIMITS,
  ensureQueueSchema,
  indexQueueDefinitions,
  insertMessagesSync,
  notifyQueues,
  onQueueActivity,
  requireIntegerInRange,
  requireQueue,
  validateBatch,
  validateOutgoingMessage,
  validateReceiveOptions,
} from './sqlite-messages.js';

export { insertMessagesSync, ensureQueueSchema, indexQueueDefinitions } from './sqlite-messages.js';

export interface SqliteQueueOptions {
  /** The shared database (see `openSqliteDatabase`). The queue does not close it. */
  db: SqliteDatabase;
  definitions: readonly QueueDefinition[];
  /** Clock for message times, in epoch ms; tests move it to expire visibility without sleeping. */
  now?: () => number;
  /**
   * How often a long poll re-checks the table, in ms (default 100). Sends from this process wake
   * a poll at once; this interval bounds the delay for messages written by other processes and
   * for delays or visibility timeouts that end during the poll.
   */
  pollIntervalMs?: number;
}

interface ClaimedRow {
  seq: number;
  message_id: string;
  body: string;
  receive_count: number;
  sent_at: number;
  first_received_at: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** How often a polling consumer looks for leases of dead processes (a read; a write only when it finds some). */
const RECLAIM_INTERVAL_MS = 2_000;

/** A receipt handle is `<row seq>.<token of that receive>`: the seq finds the row by primary key. */
function parseReceiptHandle(handle: string): { seq: number; token: string } {
  const match = typeof handle === 'string' ? /^(\d{1,15})\.([A-Za-z0-9_-]{8,64})$/.exec(handle) : null;
  if (!match) throw new BbwsError('VALIDATION_FAILED', 'The receipt handle is not valid.', { field: 'receiptHandle' });
  return { seq: Number(match[1]), token: match[2] };
}

/**
 * Creates the SQLite queue adapter. Applies the queue migrations to `db` if needed.
 *
 * Differences from SQS worth knowing: `waitTimeSeconds` may be fractional; an aborted long poll
 * resolves with no messages instead of throwing; `peek` (not an SQS call) lists messages in any
 * state without touching them; a message keeps its receive count when dead-lettered and gets a
 * fresh count and send time when redriven (like a message move task re-sending it).
 */
export function createSqliteQueue(options: SqliteQueueOptions): Queue {
  const { db } = options;
  const now = options.now ?? Date.now;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  if (!(pollIntervalMs > 0)) throw new Error('createSqliteQueue: pollIntervalMs must be positive');
  const definitionsByName = indexQueueDefinitions(options.definitions);
  ensureQueueSchema(db);

  const stmt = {
    hasCandidate: db.prepare('SELECT 1 FROM queue_messages WHERE queue = ? AND visible_at <= ? LIMIT 1').pluck(),
    candidates: db.prepare<[string, number, number], { seq: number; receive_count: number }>(
      'SELECT seq, receive_count FROM queue_messages WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?',
    ),
    claim: db.prepare<{ now: number; visibleAt: number; receipt: string; seq: number; holder: string | null }, ClaimedRow>(
      `UPDATE queue_messages
         SET receive_count = receive_count + 1, first_received_at = COALESCE(first_received_at, @now),
             visible_at = @visibleAt, receipt = @receipt, holder = @holder
       WHERE seq = @seq
       RETURNING seq, message_id, body, receive_count, sent_at, first_received_at`,
    ),
    deadLetter: db.prepare(
      'UPDATE queue_messages SET queue = ?, source_queue = queue, visible_at = ?, receipt = NULL, holder = NULL WHERE seq = ?',
    ),
    leaseHolders: db.prepare<[number], string>('SELECT DISTINCT holder FROM queue_messages WHERE holder IS NOT NULL AND visible_at > ?').pluck(),
    reclaim: db.prepare<{ now: number; holder: string }, string>(
      'UPDATE queue_messages SET visible_at = @now, holder = NULL WHERE holder = @holder AND visible_at > @now RETURNING queue',
    ).pluck(),
    delete: db.prepare('DELETE FROM queue_messages WHERE seq = ? AND queue = ? AND receipt = ?'),
    changeVisibility: db.prepare('UPDATE queue_messages SET visible_at = ? WHERE seq = ? AND queue = ? AND receipt = ?'),
    stats: db.prepare<{ queue: string; now: number }, { visible: number | null; notVisible: number | null; delayed: number | null; oldest: number | null }>(
      `SELECT SUM(visible_at <= @now) AS visible,
              SUM(visible_at > @now AND receive_count > 0) AS notVisible,
              SUM(visible_at > @now AND receive_count = 0) AS delayed,
              MIN(sent_at) AS oldest
         FROM queue_messages WHERE queue = @queue`,
    ),
    peek: db.prepare<[string, number], { message_id: string; body: string; receive_count: number; sent_at: number; source_queue: string | null }>(
      'SELECT message_id, body, receive_count, sent_at, source_queue FROM queue_messages WHERE queue = ? ORDER BY seq LIMIT ?',
    ),
    redrive: db.prepare<{ now: number; queue: string; known: string }>(
      `UPDATE queue_messages
         SET queue = source_queue, source_queue = NULL, receive_count = 0, first_received_at = NULL,
             sent_at = @now, visible_at = @now, receipt = NULL, holder = NULL
       WHERE queue = @queue AND source_queue IN (SELECT value FROM json_each(@known))
       RETURNING queue`,
    ).pluck(),
    purge: db.prepare('DELETE FROM queue_messages WHERE queue = ?'),
    expire: db.prepare('DELETE FROM queue_messages WHERE queue = ? AND sent_at <= ?'),
  };

  const writes = createGroupCommitter(db);
  /** Wakes every long poll of this adapter on close, so shutdown does not wait 20 s. */
  const closeWaiters = new Set<() => void>();
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new Error('the SQLite queue is closed');
  }

  /**
   * Claims up to `max` messages, dead-lettering those past maxReceiveCount instead of delivering
   * them. Runs inside a group-commit transaction, which holds the write lock.
   */
  function claimMessages(def: QueueDefinition, max: number, visibilitySeconds: number): ReceivedMessage[] {
    const at = now();
    const delivered: ReceivedMessage[] = [];
    const dlq = def.deadLetterQueue;
    const maxReceiveCount = def.maxReceiveCount ?? Infinity;
    let deadLettered = false;
    // Loop because dead-lettered candidates do not count: fill up to `max` if more are available.
    while (delivered.length < max) {
      const rows = stmt.candidates.all(def.name, at, max - delivered.length);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (dlq !== undefined && row.receive_count >= maxReceiveCount) {
          stmt.deadLetter.run(dlq, at, row.seq);
          deadLettered = true;
          continue;
        }
        // randomUUID draws from a cached entropy pool; randomBytes per claim cost a quarter of the CPU.
        const token = randomUUID();
        const claimed = stmt.claim.get({ now: at, visibleAt: at + visibilitySeconds * 1000, receipt: token, seq: row.seq, holder })!;
        delivered.push({
          messageId: claimed.message_id,
          receiptHandle: `${claimed.seq}.${token}`,
          body: claimed.body,
          receiveCount: claimed.receive_count,
          sentAt: iso(claimed.sent_at),
          firstReceivedAt: claimed.first_received_at === null ? null : iso(claimed.first_received_at),
        });
      }
    }
    if (deadLettered && dlq !== undefined) notifyQueues(db, [dlq]);
    return delivered;
  }

  /** This process, as lease holder; null off Linux (its leases then only expire). */
  const holder = processIdentity();
  let lastReclaim = -Infinity;

  /**
   * Makes the messages whose lease holder is known to be dead (another boot, or its PID gone or
   * reused) visible again at once: work that was running when a process was killed resumes as
   * soon as a consumer polls, not after a 30 s lease. At most every {@link RECLAIM_INTERVAL_MS}.
   * Only meaningful for processes of this host, which is where a SQLite file is shared.
   */
  async function reclaimDeadLeases(): Promise<void> {
    if (performance.now() - lastReclaim < RECLAIM_INTERVAL_MS) return;
    lastReclaim = performance.now();
    const dead = stmt.leaseHolders.all(now()).filter((h) => h !== holder && !isIdentityAlive(h));
    if (dead.length === 0) return;
    const queues = await writes.submit(() => dead.flatMap((h) => stmt.reclaim.all({ now: now(), holder: h })));
    notifyQueues(db, [...new Set(queues)]);
  }

  async function tryReceive(def: QueueDefinition, max: number, visibilitySeconds: number): Promise<ReceivedMessage[]> {
    await reclaimDeadLeases();
    // A plain read first: an idle poller never takes the write lock other processes need.
    if (!stmt.hasCandidate.get(def.name, now())) return [];
    // A claim is a write like any other: concurrent consumers in this process share its commit.
    return writes.submit(() => claimMessages(def, max, visibilitySeconds));
  }

  /** Resolves when a message may have arrived, after `ms`, on abort, or on close, whichever is first. */
  function waitForActivity(queue: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        closeWaiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const unsubscribe = onQueueActivity(db, queue, done);
      closeWaiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  return {
    definitions: () => [...definitionsByName.values()].map((d) => ({ ...d })),

    async send(message: OutgoingMessage): Promise<string> {
      assertOpen();
      validateOutgoingMessage(definitionsByName, message);
      const [id] = await writes.submit(() => insertMessagesSync(db, definitionsByName, [message], now()));
      return id;
    },

    async sendBatch(messages: OutgoingMessage[]): Promise<string[]> {
      assertOpen();
      validateBatch(definitionsByName, messages);
      return writes.submit(() => insertMessagesSync(db, definitionsByName, messages, now()));
    },

    async receive(queue: string, receiveOptions: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
      assertOpen();
      const def = requireQueue(definitionsByName, queue);
      const { max, wait, visibility } = validateReceiveOptions(def, receiveOptions);
      const { signal } = receiveOptions;
      // The poll deadline is wall-clock time, not `now()`: a test clock that stands still must not
      // make a long poll last forever.
      const deadline = performance.now() + wait * 1000;
      for (;;) {
        if (signal?.aborted || closed) return [];
        const messages = await tryReceive(def, max, visibility);
        if (messages.length > 0) return messages;
        const remaining = deadline - performance.now();
        if (remaining <= 0) return [];
        await waitForActivity(queue, Math.min(remaining, pollIntervalMs), signal);
      }
    },

    async delete(queue: string, receiptHandle: string): Promise<void> {
      assertOpen();
      requireQueue(definitionsByName, queue);
      const { seq, token } = parseReceiptHandle(receiptHandle);
      await writes.submit(() => stmt.delete.run(seq, queue, token));
    },

    async changeVisibility(queue: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
      assertOpen();
      requireQueue(definitionsByName, queue);
      const { seq, token } = parseReceiptHandle(receiptHandle);
      requireIntegerInRange('visibilityTimeoutSeconds', visibilityTimeoutSeconds, 0, QUEUE_LIMITS.maxVisibilityTimeoutSeconds);
      await writes.submit(() => stmt.changeVisibility.run(now() + visibilityTimeoutSeconds * 1000, seq, queue, token));
      if (visibilityTimeoutSeconds === 0) notifyQueues(db, [queue]);
    },

    async stats(queue: string): Promise<QueueStats> {
      assertOpen();
      const def = requireQueue(definitionsByName, queue);
      const at = now();
      const row = stmt.stats.get({ queue, now: at })!;
      return {
        queue,
        visible: row.visible ?? 0,
        notVisible: row.notVisible ?? 0,
        delayed: row.delayed ?? 0,
        oldestAgeSeconds: row.oldest === null ? 0 : Math.max(0, Math.floor((at - row.oldest) / 1000)),
        deadLetterQueue: def.deadLetterQueue ?? null,
        maxReceiveCount: def.maxReceiveCount ?? null,
      };
    },

    async peek(queue: string, limit: number): Promise<PeekedMessage[]> {
      assertOpen();
      requireQueue(definitionsByName, queue);
      requireIntegerInRange('limit', limit, 1, 1000);
      return stmt.peek.all(queue, limit).map((r) => ({
        messageId: r.message_id,
        body: r.body,
        receiveCount: r.receive_count,
        sentAt: iso(r.sent_at),
        sourceQueue: r.source_queue,
      }));
    },

    async redrive(deadLetterQueue: string): Promise<number> {
      assertOpen();
      requireQueue(definitionsByName, deadLetterQueue);
      // Only back to queues still defined: a message whose source was removed stays for inspection.
      const known = JSON.stringify([...definitionsByName.keys()]);
      const targets = await writes.submit(() => stmt.redrive.all({ now: now(), queue: deadLetterQueue, known }) as string[]);
      notifyQueues(db, targets);
      return targets.length;
    },

    async purge(queue: string): Promise<number> {
      assertOpen();
      requireQueue(definitionsByName, queue);
      return writes.submit(() => stmt.purge.run(queue).changes);
    },

    async expire(): Promise<number> {
      assertOpen();
      return writes.submit(() => {
        const at = now();
        let removed = 0;
        for (const def of definitionsByName.values()) removed += stmt.expire.run(def.name, at - def.retentionSeconds * 1000).changes;
        return removed;
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      // Commit writes already requested so their callers' promises settle, then stop the polls.
      writes.flush();
      closed = true;
      for (const wake of [...closeWaiters]) wake();
    },
  };
}
