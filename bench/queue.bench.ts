/**
 * Queue benchmark: send + receive + delete cycles on the SQLite queue with durable commits
 * (synchronous=FULL unless told otherwise): one message per cycle, ten per cycle (sendBatch,
 * receive 10, ten deletes), and ten concurrent single-message workers. Each runs next to a
 * baseline of raw better-sqlite3 on the same disk in the same run: one commit inserting the
 * cycle's messages, one deleting them. With FULL every commit waits for an fsync, so both are
 * bounded by the disk's commits per second, not by CPU; the queue needs three commits per cycle
 * (send, claim, delete) where the baseline needs two, so a ratio near 0.67 means no overhead
 * beyond that extra durable step.
 *
 *   node --import tsx bench/queue.bench.ts [--messages 5000] [--rounds 5] [--synchronous FULL|NORMAL] [--json]
 *
 * `--json` prints only a JSON document (for CI); otherwise a table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { arch, cpus, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteQueue } from '../src/adapters/queue/sqlite.js';
import { openSqliteDatabase, type SqliteDatabase, type SqliteSynchronous } from '../src/adapters/sqlite/database.js';
import type { QueueDefinition } from '../src/domain/queues.js';

const TARGET_MESSAGES_PER_SECOND = 5_000;
const QUEUE: QueueDefinition = { name: 'bench', visibilityTimeoutSeconds: 30, retentionSeconds: 345_600 };
const BODY = JSON.stringify({ operationId: 'op-0123456789abcdef', tenantId: 'benchtenant', type: 'CREATE_TENANT' });

interface Options {
  messages: number;
  rounds: number;
  synchronous: SqliteSynchronous;
  json: boolean;
}

interface Variant {
  name: string;
  /** Messages each worker sends, receives and deletes per cycle. */
  batchSize: number;
  /** Concurrent send → receive → delete loops in this process. */
  workers: number;
}

const VARIANTS: Variant[] = [
  { name: 'single (1)', batchSize: 1, workers: 1 },
  { name: 'batch (10)', batchSize: 10, workers: 1 },
  { name: '10 workers x 1', batchSize: 1, workers: 10 },
];

interface Measurement {
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  /** Milliseconds per cycle (one round trip of the variant's messages). */
  p50Ms: number;
  p99Ms: number;
}

interface VariantResult {
  variant: string;
  messagesPerCycle: number;
  queue: Measurement;
  baseline: Measurement;
  /** queue messages/s ÷ baseline messages/s. */
  ratio: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { messages: 5_000, rounds: 5, synchronous: 'FULL', json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') options.json = true;
    else if (arg === '--messages') options.messages = Number(argv[++i]);
    else if (arg === '--rounds') options.rounds = Number(argv[++i]);
    else if (arg === '--synchronous') options.synchronous = argv[++i]?.toUpperCase() as SqliteSynchronous;
    else if (arg !== '--') throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!Number.isInteger(options.messages) || options.messages % (10 * options.rounds) !== 0 || options.messages < 100) {
    throw new Error('--messages must be at least 100 and a multiple of 10 x rounds');
  }
  if (!['FULL', 'NORMAL', 'EXTRA'].includes(options.synchronous)) throw new Error('--synchronous must be FULL, NORMAL or EXTRA');
  return options;
}

/** Accumulates cycle latencies and busy time over several interleaved chunks. */
function createRecorder(messagesPerCycle: number) {
  const latencies: number[] = [];
  let busyMs = 0;
  return {
    async run(cycles: number, cycle: () => Promise<void> | void): Promise<void> {
      const started = performance.now();
      for (let i = 0; i < cycles; i++) {
        const t0 = performance.now();
        await cycle();
        latencies.push(performance.now() - t0);
      }
      busyMs += performance.now() - started;
    },
    result(): Measurement {
      const sorted = [...latencies].sort((a, b) => a - b);
      const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
      const messages = latencies.length * messagesPerCycle;
      return { messages, seconds: busyMs / 1000, messagesPerSecond: messages / (busyMs / 1000), p50Ms: at(50), p99Ms: at(99) };
    },
  };
}

/** Send + receive + delete of the variant's messages through the adapter, as one cycle. */
function queueCycle(db: SqliteDatabase, variant: Variant) {
  const queue = createSqliteQueue({ db, definitions: [QUEUE] });
  const batch = Array.from({ length: variant.batchSize }, () => ({ queue: QUEUE.name, body: BODY }));
  const worker = async () => {
    if (variant.batchSize === 1) await queue.send(batch[0]);
    else await queue.sendBatch(batch);
    let received = await queue.receive(QUEUE.name, { maxMessages: variant.batchSize });
    // Concurrent workers may take each other's messages; everyone still gets batchSize in the end.
    while (received.length < variant.batchSize) {
      received = received.concat(await queue.receive(QUEUE.name, { maxMessages: variant.batchSize - received.length, waitTimeSeconds: 1 }));
    }
    // Issued together, the deletes share one group commit, as a batch consumer's would.
    await Promise.all(received.map((m) => queue.delete(QUEUE.name, m.receiptHandle)));
  };
  const workers = Array.from({ length: variant.workers });
  return {
    cycle: async () => {
      await Promise.all(workers.map(worker));
    },
    close: () => queue.close(),
  };
}

/** The same traffic with raw better-sqlite3: insert the cycle's messages in one commit, delete them in another. */
function baselineCycle(db: SqliteDatabase, messagesPerCycle: number) {
  db.exec('CREATE TABLE IF NOT EXISTS baseline (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO baseline (body) VALUES (?)');
  const remove = db.prepare('DELETE FROM baseline WHERE id = ?');
  const slots = new Array<number>(messagesPerCycle).fill(0);
  const insertAll = db.transaction(() => slots.map(() => Number(insert.run(BODY).lastInsertRowid)));
  const removeAll = db.transaction((ids: number[]) => ids.forEach((id) => remove.run(id)));
  return () => {
    removeAll.immediate(insertAll.immediate());
  };
}

async function runVariant(dir: string, options: Options, variant: Variant): Promise<VariantResult> {
  const perCycle = variant.batchSize * variant.workers;
  const queueDb = openSqliteDatabase(join(dir, `queue-${variant.batchSize}-${variant.workers}.db`), { synchronous: options.synchronous });
  const baselineDb = openSqliteDatabase(join(dir, `baseline-${variant.batchSize}-${variant.workers}.db`), { synchronous: options.synchronous });
  const queue = queueCycle(queueDb, variant);
  const baseline = baselineCycle(baselineDb, perCycle);
  try {
    // Warm statement caches, page cache and WAL before timing.
    for (let i = 0; i < 20; i++) {
      await queue.cycle();
      baseline();
    }
    // Alternate baseline and queue chunks so that a disk busy with something else slows both alike.
    const queueRecorder = createRecorder(perCycle);
    const baselineRecorder = createRecorder(perCycle);
    const cyclesPerChunk = options.messages / perCycle / options.rounds;
    for (let round = 0; round < options.rounds; round++) {
      await baselineRecorder.run(cyclesPerChunk, baseline);
      await queueRecorder.run(cyclesPerChunk, queue.cycle);
    }
    const q = queueRecorder.result();
    const b = baselineRecorder.result();
    return { variant: variant.name, messagesPerCycle: perCycle, queue: q, baseline: b, ratio: q.messagesPerSecond / b.messagesPerSecond };
  } finally {
    await queue.close();
    queueDb.close();
    baselineDb.close();
  }
}

async function run(options: Options): Promise<VariantResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-bench-'));
  try {
    const results: VariantResult[] = [];
    for (const variant of VARIANTS) results.push(await runVariant(dir, options, variant));
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(options: Options, results: VariantResult[]): void {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  const rows = [
    ['variant', 'msgs/cycle', 'queue msg/s', 'p50/cycle', 'p99/cycle', 'baseline msg/s', 'baseline p50', 'ratio'],
    ...results.map((r) => [
      r.variant,
      String(r.messagesPerCycle),
      n(r.queue.messagesPerSecond),
      ms(r.queue.p50Ms),
      ms(r.queue.p99Ms),
      n(r.baseline.messagesPerSecond),
      ms(r.baseline.p50Ms),
      r.ratio.toFixed(2),
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ');
  console.log(
    `SQLite queue: send + receive + delete, synchronous=${options.synchronous}, ${n(options.messages)} messages per variant in ${options.rounds} interleaved rounds`,
  );
  console.log(`node ${process.version}, ${platform()} ${arch()}, ${cpus()[0]?.model ?? 'unknown cpu'}, files in ${tmpdir()}`);
  console.log('baseline: raw better-sqlite3, one commit to insert the cycle\'s messages and one to delete them\n');
  console.log(line(rows[0]));
  for (const row of rows.slice(1)) console.log(line(row));
  const single = results.find((r) => r.messagesPerCycle === 1);
  // The single-message baseline is two commits per message: it measures the disk's commit rate.
  if (single) console.log(`\ndisk: ≈${n(single.baseline.messagesPerSecond * 2)} commits/s (from the single-message baseline)`);
  const best = Math.max(...results.map((r) => r.queue.messagesPerSecond));
  const met = results.filter((r) => r.queue.messagesPerSecond >= TARGET_MESSAGES_PER_SECOND).map((r) => r.variant);
  console.log(
    `target ≥ ${n(TARGET_MESSAGES_PER_SECOND)} messages/s: ${met.length > 0 ? `met by ${met.join(', ')}` : `not met (best ${n(best)})`}`,
  );
}

let options: Options;
try {
  options = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`queue.bench: ${(err as Error).message}`);
  process.exit(2);
}
const results = await run(options);
if (options.json) {
  const report = {
    synchronous: options.synchronous,
    messagesPerVariant: options.messages,
    rounds: options.rounds,
    targetMessagesPerSecond: TARGET_MESSAGES_PER_SECOND,
    node: process.version,
    results,
  };
  console.log(JSON.stringify(report, null, 2));
} else {
  printTable(options, results);
}
