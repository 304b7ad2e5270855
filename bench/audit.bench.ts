/**
 * The audit log's cost per mutating request (target < 0.2 ms), measured side by side in one run:
 *
 * 1. `record()` alone: the JSONL hash-chain log (lock, fstat, SHA-256, one write) against a log
 *    that records nothing, batches of calls, median µs per call;
 * 2. through the API: two platforms in this process (role `api`, real SQLite, JWT, pino log
 *    file), one with the audit log and one with a log that records nothing, each loaded in turn
 *    by autocannon (child process) with a mutating request (`POST /v1.0/operations/<none>/retry`,
 *    answered 404 and recorded); server CPU µs per request and p50/p99, medians over rounds.
 *
 *   node --import tsx bench/audit.bench.ts [--json] [--rounds 5] [--duration 5] [--calls 20000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createJsonlAuditLog } from '../src/adapters/audit/jsonl-audit-log.js';
import { createTokenAuthority, loadOrCreateSigningKey } from '../src/adapters/auth/jwt.js';
import { parseConfig } from '../src/main/config.js';
import { createLogger } from '../src/main/logger.js';
import { startPlatform, type RunningPlatform } from '../src/main/platform.js';
import type { AuditEntryInput, AuditLog } from '../src/ports/audit.js';
import { runAutocannonChild } from './lib/json-child.js';
import { fmt, machineNote, median, table } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    calls: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '16' },
  },
});
const ROUNDS = Number(args.rounds);
const TARGET_MS = 0.2;
const log = (msg: string) => {
  if (!args.json) process.stderr.write(`${msg}\n`);
};

/** The baseline: an audit log that records nothing. */
const recordsNothing: AuditLog = {
  record: () => undefined,
  expire: () => 0,
  list: async () => [],
  verify: async () => ({ ok: true, entries: 0, head: null, problems: [], repairs: [] }),
  close: () => undefined,
};

const sample: AuditEntryInput = {
  actor: { subject: 'operator:3f9a1c', role: 'platform-admin', tenantId: null },
  sourceIp: '127.0.0.1',
  action: 'POST /v1.0/tenants/:tenantId/sites',
  target: '/v1.0/tenants/acme/sites',
  tenantId: 'acme',
  result: { statusCode: 202, errorCode: null },
  correlationId: '5b0c7e1e-8d52-4a4e-9a55-0d7f3b1f5a10',
};

function usPerRecord(audit: AuditLog, calls: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) audit.record(sample);
  return Number(process.hrtime.bigint() - t0) / 1e3 / calls;
}

async function startApi(dataDir: string, auditLog?: AuditLog): Promise<RunningPlatform> {
  const config = parseConfig({ dataDir, apiPort: 0, edgePort: 0 }, { BBWS_RATE_LIMIT: '0' });
  return startPlatform({ config, roles: ['api'], logger: createLogger({ level: 'info', dataDir, stdout: false }), auditLog });
}

async function main(): Promise<number> {
  const machine = await machineNote();
  const root = mkdtempSync(join(tmpdir(), 'bbws-bench-audit-'));
  const abort = new AbortController();
  const stops: (() => Promise<void>)[] = [];
  try {
    // 1. record() alone
    const file = createJsonlAuditLog({ dir: join(root, 'direct') });
    const direct = { on: [] as number[], off: [] as number[] };
    usPerRecord(file, 2000);
    for (let r = 0; r < ROUNDS; r++) {
      direct.off.push(usPerRecord(recordsNothing, Number(args.calls)));
      direct.on.push(usPerRecord(file, Number(args.calls)));
    }
    file.close();
    log(`record(): ${fmt(median(direct.on), 2)} µs per entry (records nothing: ${fmt(median(direct.off), 3)} µs)`);

    // 2. through the API
    const platforms = { off: await startApi(join(root, 'off'), recordsNothing), on: await startApi(join(root, 'on')) };
    stops.push(() => platforms.off.stop(), () => platforms.on.stop());
    const token = await createTokenAuthority(loadOrCreateSigningKey(join(root, 'on', 'jwt.key'))).sign({ role: 'platform-admin' }, 3600);
    const tokenOff = await createTokenAuthority(loadOrCreateSigningKey(join(root, 'off', 'jwt.key'))).sign({ role: 'platform-admin' }, 3600);
    const runs: Record<'on' | 'off', { cpuUs: number; p50: number; p99: number; rps: number; requests: number; non404: number }[]> = { on: [], off: [] };
    const load = async (which: 'on' | 'off', seconds: number) => {
      const url = `${platforms[which].apiUrl}/v1.0/operations/none/retry`;
      const cpu0 = process.cpuUsage();
      const r = await runAutocannonChild(url, { seconds, connections: Number(args.connections), method: 'POST', headers: { authorization: `Bearer ${which === 'on' ? token : tokenOff}` }, signal: abort.signal });
      const cpu = process.cpuUsage(cpu0);
      return { cpuUs: (cpu.user + cpu.system) / Math.max(1, r.requests.total), p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average, requests: r.requests.total, non404: r.requests.total - (r.statusCodeStats?.['404']?.count ?? 0) };
    };
    log('warmup…');
    await load('off', 2);
    await load('on', 2);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const which of round % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        const r = await load(which, Number(args.duration));
        runs[which].push(r);
        log(`round ${round}/${ROUNDS} audit ${which}: ${fmt(r.rps)} req/s, ${fmt(r.cpuUs, 1)} µs CPU/req, p50 ${r.p50} ms, p99 ${r.p99} ms`);
      }
    }
    const entries = (await platforms.on.app!.inject({ method: 'GET', url: '/v1.0/audit?since=1h&limit=1', headers: { authorization: `Bearer ${token}` } })).json().items[0]?.seq ?? 0;
    const m = (which: 'on' | 'off', k: 'cpuUs' | 'p50' | 'p99' | 'rps') => median(runs[which].map((r) => r[k]));
    const overheadMs = (m('on', 'cpuUs') - m('off', 'cpuUs')) / 1000;
    const result = {
      recordUs: median(direct.on),
      recordNothingUs: median(direct.off),
      api: { on: { cpuUsPerReq: m('on', 'cpuUs'), p50Ms: m('on', 'p50'), p99Ms: m('on', 'p99'), reqPerSec: m('on', 'rps') }, off: { cpuUsPerReq: m('off', 'cpuUs'), p50Ms: m('off', 'p50'), p99Ms: m('off', 'p99'), reqPerSec: m('off', 'rps') } },
      overheadMsPerRequest: overheadMs,
      entriesWritten: entries,
      unexpectedStatuses: runs.on.concat(runs.off).reduce((a, r) => a + r.non404, 0),
      targetMs: TARGET_MS,
      pass: overheadMs < TARGET_MS && median(direct.on) / 1000 < TARGET_MS,
      machine,
    };
    if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      process.stdout.write(`\n${machine}\n\n`);
      process.stdout.write(table(['', 'audit off', 'audit on', 'difference'], [
        ['record() µs per entry', fmt(result.recordNothingUs, 3), fmt(result.recordUs, 2), fmt(result.recordUs - result.recordNothingUs, 2)],
        ['API server CPU µs / request', fmt(m('off', 'cpuUs'), 1), fmt(m('on', 'cpuUs'), 1), fmt(m('on', 'cpuUs') - m('off', 'cpuUs'), 1)],
        ['API p50 ms', fmt(m('off', 'p50'), 1), fmt(m('on', 'p50'), 1), ''],
        ['API p99 ms', fmt(m('off', 'p99'), 1), fmt(m('on', 'p99'), 1), ''],
        ['API req/s', fmt(m('off', 'rps')), fmt(m('on', 'rps')), `${fmt((100 * m('on', 'rps')) / m('off', 'rps'), 1)} %`],
      ]));
      process.stdout.write(`\naudit overhead per mutating request: ${fmt(overheadMs, 4)} ms CPU (target < ${TARGET_MS} ms): ${result.pass ? 'PASS' : 'FAIL'}; ${entries} entries written, ${result.unexpectedStatuses} answers other than 404\n`);
    }
    return result.pass ? 0 : 1;
  } finally {
    abort.abort();
    for (const stop of stops) await stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`audit bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
