/**
 * Durability under kill -9: a child process commits records with their messages and sends,
 * receives and deletes messages in a loop, printing each effect once it is acknowledged; the test
 * SIGKILLs it mid-flight (twice, the second run recovering the crashed file first), reopens the
 * database and checks that everything acknowledged is there exactly once, that no record lost its
 * message or the reverse, and that messages received but not deleted come back after their
 * visibility timeout. A second test runs two consumer processes on one file at the same time.
 *
 * The child (`test/support/queue-writer.ts`) runs the real adapters from source under
 * `node --import tsx`, the same way the other child-process tests run theirs: the PID the test
 * kills is the node process doing the writes, with nothing in between.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteQueue } from '../../src/adapters/queue/sqlite.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { createSqliteStore } from '../../src/adapters/store/sqlite.js';
import type { Queue } from '../../src/ports/queue.js';
import { processIdentity } from '../../src/adapters/os/processes.js';
import { WRITER_QUEUES, WRITER_VISIBILITY_SECONDS } from '../support/queue-writer-queues.js';

interface ChildRun {
  child: ChildProcess;
  lines: string[];
  /** Resolves once `predicate` holds for the lines printed so far. */
  until(predicate: (lines: string[]) => boolean, timeoutMs: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const writerScript = join(repoRoot, 'test', 'support', 'queue-writer.ts');
const children: ChildProcess[] = [];
const cleanups: Array<() => void> = [];

beforeAll(() => {
  // Fail with a clear message rather than with every child dying on start-up.
  try {
    createRequire(join(repoRoot, 'package.json')).resolve('tsx');
  } catch {
    throw new Error('the kill -9 test runs its child with `node --import tsx`: install devDependencies (npm ci)');
  }
});
afterEach(() => {
  // Never leave a child running, even when an assertion failed before the planned kill.
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const fn of cleanups.splice(0).reverse()) fn();
});

function tempDbFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-kill9-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'bbws.db');
}

function startChild(args: string[]): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', writerScript, ...args], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const check of [...waiters]) check();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const until = (predicate: (lines: string[]) => boolean, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`child did not get there in ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs);
      const finish = (err?: Error) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        if (predicate(lines)) finish();
      };
      waiters.add(check);
      void exited.then(({ code }) => (predicate(lines) ? finish() : finish(new Error(`child exited (${code}) early; stderr:\n${stderr}`))));
      check();
    });
  return { child, lines, until, exited };
}

const idsOf = (lines: string[], verb: string) => lines.filter((l) => l.startsWith(`${verb} `)).map((l) => l.split(' ')[1]);

/** Receives every message of `queue` that is visible to it, 10 at a time. */
async function drain(queue: Queue, name: string) {
  const all = [];
  for (let batch = await queue.receive(name, { maxMessages: 10 }); batch.length > 0; batch = await queue.receive(name, { maxMessages: 10 })) {
    all.push(...batch);
  }
  return all;
}

describe('SQLite store and queue under kill -9', () => {
  it('keep every acknowledged write exactly once and recover in-flight messages', async () => {
    const file = tempDbFile();
    const printed: string[] = [];
    for (const prefix of ['r1', 'r2']) {
      const run = startChild(['write', file, prefix]);
      await run.until((lines) => lines.filter((l) => l.startsWith('COMMIT')).length >= 120, 30_000);
      // Let it run on a little so the kill lands at a random point of a transaction.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20)));
      expect(process.kill(run.child.pid!, 'SIGKILL')).toBe(true);
      expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' });
      printed.push(...run.lines);
    }

    const db: SqliteDatabase = openSqliteDatabase(file);
    cleanups.push(() => db.close());
    const store = createSqliteStore({ db, queueDefinitions: WRITER_QUEUES });
    const queue = createSqliteQueue({ db, definitions: WRITER_QUEUES });

    // Records and their messages: each acknowledged commit is whole, and nothing exists half.
    const committed = printed.filter((l) => l.startsWith('COMMIT ')).map((l) => l.split(' '));
    const openOps = (await store.listOpenOperations()).map((o) => o.operationId);
    const provisioning = await queue.peek('provisioning', 1000);
    expect((await queue.stats('provisioning')).visible).toBe(provisioning.length);
    const bodies = provisioning.map((m) => m.body);
    expect(new Set(bodies).size).toBe(bodies.length);
    expect(new Set(bodies)).toEqual(new Set(openOps));
    for (const [, tenantId, operationId] of committed) {
      expect(await store.getTenant(tenantId), tenantId).toBeDefined();
      expect(bodies).toContain(operationId);
    }
    // At most one commit per run was in flight (durable but unacknowledged) when the kill came.
    expect(openOps.length - committed.length).toBeGreaterThanOrEqual(0);
    expect(openOps.length - committed.length).toBeLessThanOrEqual(2);
    const tenants = (await store.listTenants({ limit: 1000 })).items.map((t) => t.tenantId);
    expect(new Set(tenants)).toEqual(new Set(openOps.map((op) => op.replace(/-op-(\d+)$/, 't$1'))));

    // Sent, received and deleted messages.
    const sent = new Set(idsOf(printed, 'SENT'));
    const received = new Set(idsOf(printed, 'RECEIVED'));
    const deleted = new Set(idsOf(printed, 'DELETED'));
    const stored = (await queue.peek('work', 1000)).map((m) => m.messageId);
    expect(stored.length).toBeLessThan(1000);
    expect(new Set(stored).size).toBe(stored.length);
    for (const id of deleted) expect(stored).not.toContain(id);
    // A sent message that is gone without an acknowledged delete can only be the delete that was
    // durable but not yet printed when the kill came: at most one per run, and it was received.
    const deletedUnacknowledged = [...sent].filter((id) => !deleted.has(id) && !stored.includes(id));
    expect(deletedUnacknowledged.length).toBeLessThanOrEqual(2);
    for (const id of deletedUnacknowledged) expect(received.has(id), id).toBe(true);
    // Durable but unacknowledged sends: at most the two of the iteration that was cut short, per run.
    expect(stored.filter((id) => !sent.has(id)).length).toBeLessThanOrEqual(4);

    // In-flight messages of the killed writer: their lease holder is known to be dead, so they come
    // back at the first receive, once each, without waiting out their visibility timeout (60 s).
    const inFlight = [...received].filter((id) => stored.includes(id));
    expect(inFlight.length).toBeGreaterThan(100);
    const stats = await queue.stats('work');
    expect(stats.notVisible).toBeGreaterThanOrEqual(inFlight.length);
    expect(stats.notVisible).toBeLessThanOrEqual(inFlight.length + 4);
    expect(stats.visible + stats.notVisible).toBe(stored.length);
    const redelivered = await drain(queue, 'work');
    expect(redelivered.map((m) => m.messageId).sort()).toEqual([...stored].sort());
    const counts = new Map(redelivered.map((m) => [m.messageId, m.receiveCount]));
    // 2, or 3 for a message of the first run that the second one reclaimed and received again.
    for (const id of inFlight) expect(counts.get(id), id).toBeGreaterThanOrEqual(2);
    await queue.close();
  });

  it('reclaim the lease of a dead holder at once, never that of a live one', async () => {
    const db = openSqliteDatabase(tempDbFile());
    cleanups.push(() => db.close());
    const queue = createSqliteQueue({ db, definitions: WRITER_QUEUES });
    await queue.sendBatch(['live', 'dead', 'reused'].map((body) => ({ queue: 'work', body })));
    expect(await drain(queue, 'work')).toHaveLength(3);
    // Hand the three leases to: a live process, a PID that does not exist, a live PID of another start time.
    const live = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(live);
    await new Promise((r) => live.once('spawn', r));
    const [boot, , ticks] = processIdentity(live.pid!)!.split(':');
    const setHolder = db.prepare('UPDATE queue_messages SET holder = ? WHERE body = ?');
    setHolder.run(`${boot}:${live.pid}:${ticks}`, 'live');
    setHolder.run(`${boot}:999999999:${ticks}`, 'dead');
    setHolder.run(`${boot}:${live.pid}:${Number(ticks) - 1}`, 'reused');
    const restarted = createSqliteQueue({ db, definitions: WRITER_QUEUES });
    expect((await drain(restarted, 'work')).map((m) => m.body).sort()).toEqual(['dead', 'reused']);
    // 'live' is still leased by its holder; the other two by this process now.
    expect(await restarted.stats('work')).toMatchObject({ visible: 0, notVisible: 3 });
    await restarted.close();
    await queue.close();
  });

  it('let several processes receive from one file without handing out a message twice', async () => {
    const file = tempDbFile();
    const db = openSqliteDatabase(file);
    cleanups.push(() => db.close());
    const queue = createSqliteQueue({ db, definitions: WRITER_QUEUES });
    const total = 600;
    for (let i = 0; i < total; i += 10) {
      await queue.sendBatch(Array.from({ length: 10 }, (_, j) => ({ queue: 'work', body: `m${i + j}` })));
    }
    const consumers = [startChild(['consume', file]), startChild(['consume', file]), startChild(['consume', file])];
    // Start them together: node's start-up time would otherwise let the first one drain the queue.
    await Promise.all(consumers.map((c) => c.until((lines) => lines.includes('READY'), 10_000)));
    for (const c of consumers) c.child.stdin!.end('go\n');
    const results = await Promise.all(consumers.map((c) => c.exited));
    for (const r of results) expect(r).toEqual({ code: 0, signal: null });
    const perConsumer = consumers.map((c) => idsOf(c.lines, 'RECEIVED'));
    const all = perConsumer.flat();
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    // The consumers really overlapped. (At least two, not all three: SQLite's busy handler is not
    // fair, so one process can in principle win the lock every time, and that is not a bug.)
    expect(perConsumer.filter((ids) => ids.length > 0).length).toBeGreaterThanOrEqual(2);
    expect(await queue.stats('work')).toMatchObject({ visible: 0, notVisible: 0 });
    await queue.close();
  });
});
