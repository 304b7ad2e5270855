/**
 * The queue's table and the pieces of the SQLite queue that the store adapter also needs: schema,
 * validation of outgoing messages, a synchronous insert that runs inside the caller's transaction
 * (so `Store.commit` can write a record and its message atomically), and the in-process notifier
 * that wakes long polls when a message is written.
 */
import { randomUUID } from 'node:crypto';
import type { QueueDefinition } from '../../domain/queues.js';
import type { OutgoingMessage } from '../../ports/queue.js';
import { applyMigrations, type Migration, type SqliteDatabase } from '../sqlite/database.js';
import { validateOutgoingMessage } from './message-rules.js';

export {
  QUEUE_LIMITS,
  indexQueueDefinitions,
  requireIntegerInRange,
  requireQueue,
  validateOutgoingMessage,
  validateBatch,
  validateReceiveOptions,
} from './message-rules.js';

/**
 * One row per message. Times are epoch milliseconds. `visible_at` is the only time the receive
 * query needs: the end of the delay for a new message, the end of the visibility timeout for a
 * received one. `receipt` is the token of the latest receive; a handle carrying an older token is
 * stale. `source_queue` is set on dead-lettered messages so they can be redriven.
 */
export const QUEUE_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-queue-messages',
    sql: `
      CREATE TABLE queue_messages (
        seq INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL,
        queue TEXT NOT NULL,
        body TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        visible_at INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        first_received_at INTEGER,
        receipt TEXT,
        source_queue TEXT
      );
      -- Serves the receive query (queue = ? AND visible_at <= ? ORDER BY visible_at, seq) and the
      -- per-queue scans of stats, peek, purge and expire.
      CREATE INDEX queue_messages_receive ON queue_messages (queue, visible_at, seq);
    `,
  },
  {
    // Who holds a received message's lease: \`<boot id>:<pid>:<start ticks>\` of the receiving
    // process (os/processes.ts). A lease whose holder is known to be dead is reclaimed at once
    // instead of after its visibility timeout (sqlite.ts).
    id: '002-queue-lease-holder',
    sql: `
      ALTER TABLE queue_messages ADD COLUMN holder TEXT;
      CREATE INDEX queue_messages_holder ON queue_messages (holder) WHERE holder IS NOT NULL;
    `,
  },
];

/** Creates or upgrades the queue table. Idempotent; both the queue and the store adapter call it. */
export function ensureQueueSchema(db: SqliteDatabase): void {
  applyMigrations(db, 'queue', QUEUE_MIGRATIONS);
}

const prepareInsert = (db: SqliteDatabase) =>
  db.prepare<[string, string, string, number, number]>(
    'INSERT INTO queue_messages (message_id, queue, body, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)',
  );
// Prepared once per connection: the store's commit and the queue's send both insert on the hot path.
const insertStatements = new WeakMap<SqliteDatabase, ReturnType<typeof prepareInsert>>();

function insertStatement(db: SqliteDatabase) {
  let stmt = insertStatements.get(db);
  if (!stmt) {
    stmt = prepareInsert(db);
    insertStatements.set(db, stmt);
  }
  return stmt;
}

/**
 * Validates and inserts messages, synchronously, in whatever transaction is open on `db`. The store
 * adapter calls this inside `commit` so a record and its message share one transaction; a
 * validation error thrown here rolls both back. Returns the new message ids, in order.
 *
 * The queue schema must exist ({@link ensureQueueSchema}).
 */
export function insertMessagesSync(
  db: SqliteDatabase,
  definitionsByName: ReadonlyMap<string, QueueDefinition>,
  messages: readonly OutgoingMessage[],
  nowMs: number,
): string[] {
  // Validate everything before writing anything: a batch is all or nothing.
  for (const message of messages) validateOutgoingMessage(definitionsByName, message);
  const stmt = insertStatement(db);
  const ids: string[] = [];
  for (const message of messages) {
    const id = randomUUID();
    stmt.run(id, message.queue, message.body, nowMs, nowMs + (message.delaySeconds ?? 0) * 1000);
    ids.push(id);
  }
  notifyQueues(db, messages.map((m) => m.queue));
  return ids;
}

// --- In-process wake-ups for long polls -------------------------------------------------------
// Keyed by database file, not connection, so a store and a queue that opened the same file
// separately in one process still wake each other. Other processes are covered by polling.

type Wake = () => void;
const waitersByKey = new Map<string, Set<Wake>>();
const memoryKeys = new WeakMap<SqliteDatabase, string>();

function fileKey(db: SqliteDatabase): string {
  if (!db.memory) return db.name;
  let key = memoryKeys.get(db);
  if (!key) {
    key = `:memory:${randomUUID()}`;
    memoryKeys.set(db, key);
  }
  return key;
}

/**
 * Registers `wake` to be called when a message may have become receivable on `queue`. Returns the
 * function that unregisters it. Wake-ups may be spurious (a rolled back or delayed message).
 */
export function onQueueActivity(db: SqliteDatabase, queue: string, wake: Wake): () => void {
  const key = `${fileKey(db)}\u0000${queue}`;
  let set = waitersByKey.get(key);
  if (!set) waitersByKey.set(key, (set = new Set()));
  set.add(wake);
  return () => {
    set.delete(wake);
    if (set.size === 0 && waitersByKey.get(key) === set) waitersByKey.delete(key);
  };
}

/**
 * Wakes long polls waiting on `queues`. Called from inside transactions: the woken receivers only
 * run after the current synchronous transaction has finished, so they see the commit (or, after a
 * rollback, nothing, and go back to waiting).
 */
export function notifyQueues(db: SqliteDatabase, queues: Iterable<string>): void {
  const base = fileKey(db);
  for (const queue of new Set(queues)) {
    const set = waitersByKey.get(`${base}\u0000${queue}`);
    if (set) for (const wake of [...set]) wake();
  }
}
