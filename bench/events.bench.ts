/**
 * ECS event handling throughput and order-independence: 10,000 events (100 per tenant, strictly
 * increasing `time` per tenant, names drawn from seed 004's table) plus 30 % re-sent duplicates,
 * shuffled with a seeded PRNG, fed to `handleEcsEvent` directly (no HTTP, no queue) on a real
 * SQLite store in a temp dir — sequentially and with 8 events in flight. The same deliveries in
 * time order on a fresh store are the baseline, and the final (provisioningState, lastEventId)
 * of every tenant must be the same in every run.
 *
 *   node --import tsx bench/events.bench.ts [--json] [--tenants 100] [--events 10000]
 *        [--duplicates 0.3] [--concurrency 8] [--seed 4] [--synchronous FULL|NORMAL]
 *
 * Logging: a real pino logger at level `info` writing to `<tmp>/logs/bbws.jsonl` only — the level
 * the `events` role runs at in production, where every event writes one line, so that cost counts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createNodeTxtLookup } from '../src/adapters/domains/node-dns.js';
import { createSqliteDomainRegistry } from '../src/adapters/domains/sqlite.js';
import { createPrometheusMetrics } from '../src/adapters/metrics/prometheus.js';
import { createSqliteQueue } from '../src/adapters/queue/sqlite.js';
import { openSqliteDatabase, type SqliteSynchronous } from '../src/adapters/sqlite/database.js';
import { createSqliteStore } from '../src/adapters/store/sqlite.js';
import { createTenant } from '../src/app/create-tenant.js';
import type { AppDeps } from '../src/app/deps.js';
import { type EventResult, handleEcsEvent } from '../src/app/handle-ecs-event.js';
import { type EcsEvent, EVENT_STATE_MAPPING } from '../src/domain/ecs-event.js';
import { queueDefinitions, queueNames } from '../src/domain/queues.js';
import { createLogger } from '../src/main/logger.js';
import { ecsEvent } from '../test/support/scripted-runtime.js';
import { fmt, machineNote, seededRandom, shuffle, summarize, table } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    tenants: { type: 'string', default: '100' },
    events: { type: 'string', default: '10000' },
    duplicates: { type: 'string', default: '0.3' },
    concurrency: { type: 'string', default: '8' },
    seed: { type: 'string', default: '4' },
    synchronous: { type: 'string', default: 'FULL' },
  },
});
const TENANTS = Number(args.tenants);
const EVENTS = Number(args.events);
const DUPLICATE_SHARE = Number(args.duplicates);
const CONCURRENCY = Number(args.concurrency);
const SEED = Number(args.seed);
const SYNCHRONOUS = args.synchronous as SqliteSynchronous;
const TARGET_EVENTS_PER_SEC = 5_000;
const ENV = 'dev' as const;
const EVENT_NAMES = Object.keys(EVENT_STATE_MAPPING);

interface Delivery {
  event: EcsEvent;
  tenantId: string;
}
type FinalStates = Map<string, string>;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Temp dirs still on disk: removed on Ctrl-C too. */
const openDirs = new Set<string>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const dir of openDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

const tenantIds = Array.from({ length: TENANTS }, (_, i) => `bench${String(i).padStart(4, '0')}`);

/** Every tenant's events with strictly increasing, per-tenant distinct times, then the duplicates. */
function generate(): { inOrder: Delivery[]; shuffled: Delivery[]; expected: FinalStates } {
  const random = seededRandom(SEED);
  const base = Date.UTC(2026, 0, 1);
  const perTenant = Math.ceil(EVENTS / TENANTS);
  const originals: Delivery[] = [];
  const expected: FinalStates = new Map();
  for (let k = 0; k < perTenant; k++) {
    for (let i = 0; i < TENANTS && originals.length < EVENTS; i++) {
      const tenantId = tenantIds[i];
      const name = EVENT_NAMES[Math.floor(random() * EVENT_NAMES.length)];
      // k seconds apart per tenant, offset by i ms: distinct per tenant and interleaved across tenants.
      const event = { ...ecsEvent(ENV, tenantId, name, {}, new Date(base + k * 1000 + i)), id: `evt-${tenantId}-${String(k).padStart(5, '0')}` };
      originals.push({ event, tenantId });
      expected.set(tenantId, `${EVENT_STATE_MAPPING[name]} ${event.id}`);
    }
  }
  const duplicates = Array.from({ length: Math.round(originals.length * DUPLICATE_SHARE) }, () => {
    const d = originals[Math.floor(random() * originals.length)];
    return { event: structuredClone(d.event), tenantId: d.tenantId };
  });
  // Stable sort: a duplicate comes right after its original (same time), as a prompt re-send would.
  const inOrder = [...originals, ...duplicates].sort((a, b) => Date.parse(a.event.time) - Date.parse(b.event.time));
  return { inOrder, shuffled: shuffle([...inOrder], random), expected };
}

/** A fresh SQLite store + queue + real logger in a temp dir, with the tenants created. */
async function freshDeps(): Promise<{ deps: AppDeps; close(): Promise<number> }> {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-bench-events-'));
  openDirs.add(dir);
  try {
    const db = openSqliteDatabase(join(dir, 'state.db'), { synchronous: SYNCHRONOUS });
    const definitions = queueDefinitions(ENV);
    const logger = createLogger({ level: 'info', dataDir: dir, stdout: false });
    const deps: AppDeps = {
      store: createSqliteStore({ db, queueDefinitions: definitions }),
      queue: createSqliteQueue({ db, definitions }),
      logger,
      metrics: createPrometheusMetrics(),
      env: ENV,
      baseDomain: 'localhost',
      clusterName: `bbws-cluster-${ENV}`,
      queues: queueNames(ENV),
      operationDeadlineMs: 15 * 60_000,
      domains: createSqliteDomainRegistry(db),
      txt: createNodeTxtLookup(),
      now: Date.now,
    };
    /** Closes everything, removes the dir, and returns how many log lines reached the file. */
    const close = async (): Promise<number> => {
      await deps.queue.close().catch(() => undefined);
      await deps.store.close().catch(() => undefined);
      logger.flush();
      await new Promise((resolve) => setTimeout(resolve, 100)); // let the log file's async writes land
      let logLines = 0;
      try {
        logLines = readFileSync(join(dir, 'logs', 'bbws.jsonl'), 'utf8').split('\n').length - 1;
      } catch {
        /* no log file */
      }
      db.close();
      rmSync(dir, { recursive: true, force: true });
      openDirs.delete(dir);
      return logLines;
    };
    try {
      for (const tenantName of tenantIds) await createTenant(deps, { tenantName }, null);
    } catch (err) {
      await close();
      throw err;
    }
    return { deps, close };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    openDirs.delete(dir);
    throw err;
  }
}

interface RunResult {
  name: string;
  deliveries: number;
  seconds: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  outcomes: Record<string, number>;
  finals: FinalStates;
  /** Lines in the log file at the end (tenant creations + one per delivery): proves logging ran. */
  logLines: number;
}

function outcomeOf(r: EventResult): string {
  if (r.status === 'success') return 'applied';
  if (r.reason?.startsWith('Duplicate')) return 'duplicate';
  if (r.reason?.startsWith('Stale')) return 'stale';
  return 'other';
}

/** Processes `deliveries` on a fresh store with `concurrency` events in flight. */
async function run(name: string, deliveries: readonly Delivery[], concurrency: number): Promise<RunResult> {
  const { deps, close } = await freshDeps();
  let result: Omit<RunResult, 'logLines'>;
  try {
    const latencies = new Float64Array(deliveries.length);
    const outcomes: Record<string, number> = { applied: 0, duplicate: 0, stale: 0, other: 0 };
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < deliveries.length; i = next++) {
        const t0 = process.hrtime.bigint();
        const handled = await handleEcsEvent(deps, deliveries[i].event);
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
        outcomes[outcomeOf(handled)]++;
        // The store answers synchronously, so without this the loop never reaches the event loop and
        // the logger's async file writes would pile up in memory. The queue consumer yields likewise
        // (its message delete goes through the group committer's setImmediate).
        await tick();
      }
    };
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const finals: FinalStates = new Map();
    for (const tenantId of tenantIds) {
      const instance = await deps.store.getInstance(tenantId);
      finals.set(tenantId, `${instance?.provisioningState} ${instance?.lastEventId}`);
    }
    const lat = summarize(Array.from(latencies));
    result = { name, deliveries: deliveries.length, seconds, eventsPerSec: deliveries.length / seconds, p50Ms: lat.p50, p99Ms: lat.p99, outcomes, finals };
  } catch (err) {
    await close();
    throw err;
  }
  return { ...result, logLines: await close() };
}

/** Tenants whose final state differs between two runs (empty when equal). */
function differences(a: FinalStates, b: FinalStates): string[] {
  return tenantIds.filter((t) => a.get(t) !== b.get(t)).map((t) => `${t}: ${a.get(t)} vs ${b.get(t)}`);
}

async function main(): Promise<number> {
  if (!['FULL', 'NORMAL', 'EXTRA'].includes(SYNCHRONOUS)) throw new Error('--synchronous must be FULL, NORMAL or EXTRA');
  const machine = await machineNote(); // before the run: the load figure is other work's
  const { inOrder, shuffled, expected } = generate();
  const log = (msg: string) => !args.json && process.stderr.write(`${msg}\n`);
  log(`${inOrder.length} deliveries (${EVENTS} events + ${inOrder.length - EVENTS} duplicates) for ${TENANTS} tenants; warmup…`);
  await run('warmup', shuffled.slice(0, 2_000), 1);

  const runs: RunResult[] = [];
  for (const [name, list, concurrency] of [
    ['in order, sequential (baseline)', inOrder, 1],
    ['shuffled, sequential', shuffled, 1],
    [`shuffled, ${CONCURRENCY} in flight`, shuffled, CONCURRENCY],
  ] as const) {
    log(`${name}…`);
    runs.push(await run(name, list, concurrency));
  }
  const [baseline, ...shuffledRuns] = runs;
  const diffs = runs.map((r) => ({ vsBaseline: differences(baseline.finals, r.finals), vsExpected: differences(expected, r.finals) }));
  const equal = diffs.every((d) => d.vsBaseline.length === 0 && d.vsExpected.length === 0);
  const throughputMet = shuffledRuns.every((r) => r.eventsPerSec >= TARGET_EVENTS_PER_SEC);

  if (args.json) {
    const settings = { tenants: TENANTS, events: EVENTS, deliveries: inOrder.length, duplicateShare: DUPLICATE_SHARE, concurrency: CONCURRENCY, seed: SEED, synchronous: SYNCHRONOUS };
    const out = runs.map(({ finals: _f, ...r }, i) => ({ ...r, ratioToBaseline: r.eventsPerSec / baseline.eventsPerSec, differences: diffs[i] }));
    process.stdout.write(`${JSON.stringify({ bench: 'events', machine, settings, runs: out, equal, target: { eventsPerSec: TARGET_EVENTS_PER_SEC }, throughputMet }, null, 2)}\n`);
  } else {
    const rows = runs.map((r, i) => [
      r.name,
      fmt(r.deliveries),
      fmt(r.eventsPerSec),
      fmt(r.eventsPerSec / baseline.eventsPerSec, 2),
      fmt(r.p50Ms, 3),
      fmt(r.p99Ms, 3),
      `${r.outcomes.applied}/${r.outcomes.duplicate}/${r.outcomes.stale}/${r.outcomes.other}`,
      i === 0 ? (diffs[0].vsExpected.length === 0 ? 'yes (= expected)' : 'NO') : diffs[i].vsBaseline.length === 0 && diffs[i].vsExpected.length === 0 ? 'yes' : 'NO',
    ]);
    const lines = [
      `Events bench — ${machine}`,
      `${TENANTS} tenants, ${fmt(EVENTS)} events + ${fmt(inOrder.length - EVENTS)} duplicates, seed ${SEED}, SQLite synchronous=${SYNCHRONOUS}, logger: pino info → file`,
      '',
      table(['run', 'deliveries', 'events/s', 'vs baseline', 'p50 ms', 'p99 ms', 'applied/dup/stale/other', 'final states equal'], rows),
      '',
      `target ≥ ${fmt(TARGET_EVENTS_PER_SEC)} events/s (shuffled runs): ${throughputMet ? 'met' : 'MISSED'}`,
      `final (provisioningState, lastEventId) per tenant equal in every run: ${equal ? 'yes' : 'NO'}`,
    ];
    lines.push(`log lines written per run: ${runs.map((r) => fmt(r.logLines)).join(', ')} (${fmt(TENANTS)} tenant creations + one per delivery expected)`);
    for (const [i, d] of diffs.entries()) for (const line of [...d.vsBaseline, ...d.vsExpected].slice(0, 5)) lines.push(`  ${runs[i].name}: ${line}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return equal ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
