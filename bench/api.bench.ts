/**
 * API latency/throughput: `GET /v1.0/tenants/{id}` on the real platform (startPlatform, role
 * `api` only, SQLite in a temp data dir, real JWT auth, real pino logger writing to the data dir's
 * log file) over real HTTP on an ephemeral port, against a bare Fastify 5 hello route in the same
 * process as a baseline. The load generator (autocannon) runs in a child process so it does not
 * share the server's event loop. Each round runs bare and api at saturation (32 connections as fast
 * as they go: throughput, where p99 is mostly queueing) and then api and bare at a fixed 2,000
 * req/s from the open-loop generator in bench/lib/open-loop.ts (requests due at a constant
 * rate, latency from the due time: the p99 the target speaks of; bare at the same rate is the
 * floor the generator and the machine set). Medians over the rounds.
 *
 *   node --import tsx bench/api.bench.ts [--json] [--duration 10] [--warmup 3] [--rounds 3] [--connections 32] [--rate 2000]
 *   node --import tsx bench/api.bench.ts --serve     # start the servers only, print URLs + token (for profiling)
 *   BBWS_RESPONSE_BATCHING=1 BBWS_READ_CACHE=1 node --import tsx bench/api.bench.ts   # with the speed settings on
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { createTokenAuthority, loadOrCreateSigningKey } from '../src/adapters/auth/jwt.js';
import { parseConfig } from '../src/main/config.js';
import { createLogger } from '../src/main/logger.js';
import { type RunningPlatform, startPlatform } from '../src/main/platform.js';
import { runAutocannonChild, runJsonChild } from './lib/json-child.js';
import type { OpenLoopResult } from './lib/open-loop.js';
import { fmt, machineNote, median, table } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    serve: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    rate: { type: 'string', default: '2000' },
  },
});
const DURATION_S = Number(args.duration);
const WARMUP_S = Number(args.warmup);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);
const RATE = Number(args.rate);
const TENANT_ID = 'benchtenant';
const TARGET = { p99Ms: 10, reqPerSec: 2_000, ratioToBare: 0.5 };

interface RunResult {
  target: 'bare' | 'api' | 'api@rate' | 'bare@rate';
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** CPU time (user + system, all threads) this process spent per request while serving. */
  cpuUsPerReq: number;
}

const openLoopScript = fileURLToPath(new URL('./lib/open-loop.ts', import.meta.url));
const log = (msg: string) => {
  if (!args.json) process.stderr.write(`${msg}\n`);
};

/** Runs autocannon (saturation) as a child process and parses its --json result. */
function autocannon(url: string, seconds: number, headers: Record<string, string>, signal: AbortSignal): Promise<Record<string, any>> {
  return runAutocannonChild(url, { seconds, connections: CONNECTIONS, headers, signal });
}

/** Runs the open-loop generator (fixed rate) as a child process. */
function openLoop(url: string, seconds: number, headers: Record<string, string>, signal: AbortSignal): Promise<OpenLoopResult> {
  const argv = ['--import', 'tsx', openLoopScript, '--url', url, '--rate', String(RATE), '--duration', String(seconds), '--connections', String(CONNECTIONS)];
  for (const [k, v] of Object.entries(headers)) argv.push('--header', `${k}: ${v}`);
  return runJsonChild(argv, signal) as Promise<OpenLoopResult>;
}

function fromOpenLoop(target: RunResult['target'], r: OpenLoopResult, cpu: NodeJS.CpuUsage): RunResult {
  return {
    target,
    reqPerSec: r.ratePerSec,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    requests: r.completed,
    non2xx: r.non2xx,
    errors: r.errors,
    cpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, r.completed),
  };
}

function toResult(target: RunResult['target'], r: Record<string, any>, cpu: NodeJS.CpuUsage): RunResult {
  return {
    target,
    reqPerSec: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    cpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, r.requests.total),
  };
}

async function startBare(): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false });
  app.get('/hello', async () => ({ hello: 'world' }));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `${address}/hello` };
}

async function main(): Promise<number> {
  const abort = new AbortController();
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    abort.abort();
    for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch((e) => process.stderr.write(`cleanup: ${e}\n`));
    cleanups.length = 0;
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const machine = await machineNote(); // before the run: the load figure is other work's
  const dataDir = mkdtempSync(join(tmpdir(), 'bbws-bench-api-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  try {
    // The speed settings (off by default) come from the environment, so each can be measured on and off.
    const speed = { BBWS_RESPONSE_BATCHING: process.env.BBWS_RESPONSE_BATCHING ?? '', BBWS_READ_CACHE: process.env.BBWS_READ_CACHE ?? '' };
    const config = parseConfig({ dataDir, apiPort: 0, edgePort: 0 }, { BBWS_RATE_LIMIT: '1000000000', ...speed });
    const logger = createLogger({ level: 'info', dataDir, stdout: false });
    const platform: RunningPlatform = await startPlatform({ config, roles: ['api'], logger });
    cleanups.push(() => platform.stop());
    const bare = await startBare();
    cleanups.push(() => bare.app.close());

    const token = await createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key'))).sign({ role: 'platform-admin' }, 3600);
    const auth = { authorization: `Bearer ${token}` };
    const created = await fetch(`${platform.apiUrl}/v1.0/tenants`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ tenantName: TENANT_ID }),
    });
    if (created.status !== 202) throw new Error(`creating the tenant answered ${created.status}: ${await created.text()}`);
    const apiUrl = `${platform.apiUrl}/v1.0/tenants/${TENANT_ID}`;
    const probe = await fetch(apiUrl, { headers: auth });
    if (probe.status !== 200) throw new Error(`GET tenant answered ${probe.status}: ${await probe.text()}`);
    await probe.arrayBuffer();

    if (args.serve) {
      process.stdout.write(`bare: ${bare.url}\napi:  ${apiUrl}\ntoken: ${token}\ndataDir: ${dataDir}\nCtrl-C to stop.\n`);
      await new Promise((resolve) => abort.signal.addEventListener('abort', resolve));
      return 0;
    }

    const targets = {
      bare: { url: bare.url, headers: {} },
      api: { url: apiUrl, headers: auth },
      'api@rate': { url: apiUrl, headers: auth },
      'bare@rate': { url: bare.url, headers: {} },
    } as const;
    log(`warmup ${WARMUP_S}s each…`);
    for (const t of ['bare', 'api'] as const) await autocannon(targets[t].url, WARMUP_S, targets[t].headers, abort.signal);
    const runs: RunResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const t of ['bare', 'api', 'api@rate', 'bare@rate'] as const) {
        const fixed = t.endsWith('@rate');
        log(`round ${round}/${ROUNDS}: ${t} (${DURATION_S}s, ${CONNECTIONS} connections${fixed ? `, ${RATE} req/s open loop` : ''})…`);
        const cpuBefore = process.cpuUsage();
        const r = fixed
          ? fromOpenLoop(t, await openLoop(targets[t].url, DURATION_S, targets[t].headers, abort.signal), process.cpuUsage(cpuBefore))
          : toResult(t, await autocannon(targets[t].url, DURATION_S, targets[t].headers, abort.signal), process.cpuUsage(cpuBefore));
        log(`  ${fmt(r.reqPerSec)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${fmt(r.cpuUsPerReq)} µs CPU/req, non-2xx ${r.non2xx}, errors ${r.errors}`);
        runs.push(r);
      }
    }
    return report(runs, machine);
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function report(runs: RunResult[], machine: string): number {
  const med = (t: RunResult['target']) => {
    const rs = runs.filter((r) => r.target === t);
    return {
      reqPerSec: median(rs.map((r) => r.reqPerSec)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      cpuUsPerReq: median(rs.map((r) => r.cpuUsPerReq)),
      requests: rs.reduce((n, r) => n + r.requests, 0),
      non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
      errors: rs.reduce((n, r) => n + r.errors, 0),
    };
  };
  const bare = med('bare');
  const api = med('api');
  const atRate = med('api@rate');
  const bareAtRate = med('bare@rate');
  const ratio = api.reqPerSec / bare.reqPerSec;
  const clean = [bare, api, atRate, bareAtRate].every((m) => m.non2xx + m.errors === 0);
  const targets = {
    // p99 at the target rate, and that rate actually sustained.
    p99: atRate.p99Ms <= TARGET.p99Ms && atRate.reqPerSec >= 0.97 * RATE,
    throughput: api.reqPerSec >= TARGET.reqPerSec,
    ratio: ratio >= TARGET.ratioToBare,
  };
  const met = targets.p99 && targets.throughput && targets.ratio;
  if (args.json) {
    const settings = { connections: CONNECTIONS, durationSeconds: DURATION_S, warmupSeconds: WARMUP_S, rounds: ROUNDS, rate: RATE };
    process.stdout.write(`${JSON.stringify({ bench: 'api', machine, settings, bare, api, apiAtRate: atRate, bareAtRate, ratio, target: TARGET, targets, met, clean, runs }, null, 2)}\n`);
  } else {
    const row = (name: string, m: typeof api, r: string) => [name, fmt(m.reqPerSec), fmt(m.p50Ms, 1), fmt(m.p99Ms, 1), r, fmt(m.cpuUsPerReq), fmt(m.non2xx + m.errors)];
    const lines = [
      `API bench — ${machine}`,
      `${CONNECTIONS} connections, ${DURATION_S}s per run after ${WARMUP_S}s warmup, ${ROUNDS} rounds of bare / api saturated (autocannon) and api / bare at ${fmt(RATE)} req/s (open loop), medians:`,
      '',
      table(
        ['route', 'req/s', 'p50 ms', 'p99 ms', 'ratio', 'server CPU µs/req', 'non-2xx+errors'],
        [
          row('bare Fastify GET /hello (saturated)', bare, '1.00'),
          row('GET /v1.0/tenants/{id} (saturated)', api, fmt(ratio, 2)),
          row(`GET /v1.0/tenants/{id} @ ${fmt(RATE)} req/s`, atRate, '-'),
          row(`bare Fastify GET /hello @ ${fmt(RATE)} req/s`, bareAtRate, '-'),
        ],
      ),
      '',
      `target p99 ≤ ${TARGET.p99Ms} ms at ${fmt(RATE)} req/s: ${targets.p99 ? 'met' : 'MISSED'} (${fmt(atRate.p99Ms, 1)} ms at ${fmt(atRate.reqPerSec)} req/s)`,
      `target ≥ ${fmt(TARGET.reqPerSec)} req/s (saturated): ${targets.throughput ? 'met' : 'MISSED'} (${fmt(api.reqPerSec)} req/s)`,
      `target ≥ ${TARGET.ratioToBare * 100} % of bare: ${targets.ratio ? 'met' : 'MISSED'} (${fmt(ratio * 100, 1)} %)`,
      clean ? 'all responses 2xx' : 'SOME RESPONSES WERE NOT 2xx OR FAILED — figures are not valid',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return clean ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof Error && err.name === 'AbortError') process.exit(130); // Ctrl-C: already cleaned up
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
