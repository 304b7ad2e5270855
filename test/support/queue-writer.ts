/**
 * Child process of the kill -9 and multi-process tests. It uses the real SQLite adapters on the
 * file it is given and prints a line for every effect only after the call that made it durable
 * has returned, so the parent knows exactly what was acknowledged when it kills this process.
 *
 *   node --import tsx queue-writer.ts write <db-file> <prefix>   commit / send / receive / delete
 *                                                                until killed
 *   node --import tsx queue-writer.ts consume <db-file>          on a line from stdin, receive and
 *                                                                delete from `work` until empty
 *
 * Output lines: COMMIT <tenantId> <operationId> | SENT <messageId> | RECEIVED <messageId> |
 * DELETED <messageId> | READY | DONE.
 */
import { createSqliteQueue } from '../../src/adapters/queue/sqlite.js';
import { openSqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { createSqliteStore } from '../../src/adapters/store/sqlite.js';
import type { Queue } from '../../src/ports/queue.js';
import type { Store } from '../../src/ports/store.js';
import { makeOperation, makeTenant } from './store-records.js';
import { WRITER_QUEUES, WRITER_VISIBILITY_SECONDS } from './queue-writer-queues.js';

// Synchronous on Linux pipes: a printed line is never lost to a kill after it was written.
const print = (line: string) => process.stdout.write(`${line}\n`);

async function write(store: Store, queue: Queue, prefix: string): Promise<never> {
  for (let i = 0; ; i++) {
    const tenantId = `${prefix}t${i}`;
    const operationId = `${prefix}-op-${i}`;
    // Three writes in flight at once: the commit, and two sends the group committer batches.
    await Promise.all([
      store
        .commit([
          { kind: 'putTenant', tenant: makeTenant(tenantId), expectedVersion: null },
          { kind: 'putOperation', operation: makeOperation(operationId, tenantId), expectedVersion: null },
          { kind: 'enqueue', message: { queue: 'provisioning', body: operationId } },
        ])
        .then(() => print(`COMMIT ${tenantId} ${operationId}`)),
      queue.send({ queue: 'work', body: `${prefix}-a-${i}` }).then((id) => print(`SENT ${id}`)),
      queue.send({ queue: 'work', body: `${prefix}-b-${i}` }).then((id) => print(`SENT ${id}`)),
    ]);
    const received = await queue.receive('work', { maxMessages: 2, visibilityTimeoutSeconds: WRITER_VISIBILITY_SECONDS });
    for (const m of received) print(`RECEIVED ${m.messageId}`);
    // Acknowledge the first, leave the second in flight: after a crash it must come back.
    if (received[0]) await queue.delete('work', received[0].receiptHandle).then(() => print(`DELETED ${received[0].messageId}`));
  }
}

async function consume(queue: Queue): Promise<void> {
  for (;;) {
    const received = await queue.receive('work', { maxMessages: 3, visibilityTimeoutSeconds: WRITER_VISIBILITY_SECONDS });
    if (received.length === 0) return;
    for (const m of received) print(`RECEIVED ${m.messageId}`);
    await Promise.all(received.map((m) => queue.delete('work', m.receiptHandle)));
    // Stand-in for the work a real consumer does between receives. Without it one process wins
    // the write lock back every time while the others sleep in SQLite's busy handler, and the
    // test would show no overlap at all.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function main(): Promise<void> {
  const [mode, file, prefix = 'p'] = process.argv.slice(2);
  if ((mode !== 'write' && mode !== 'consume') || !file) throw new Error('usage: queue-writer.ts write|consume <db-file> [prefix]');
  const db = openSqliteDatabase(file);
  const store = createSqliteStore({ db, queueDefinitions: WRITER_QUEUES });
  const queue = createSqliteQueue({ db, definitions: WRITER_QUEUES });
  print('READY');
  if (mode === 'write') await write(store, queue, prefix);
  // Consumers start on a line from the parent, so that several of them start together.
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy();
  await consume(queue);
  await queue.close();
  db.close();
  print('DONE');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
