/**
 * Provisioning benchmark of the local runtime (prints figures; not a timed test).
 *
 *   node --import tsx bench/provisioning.bench.ts [--sizes 1,100,1000] [--samples 10] [--neighbour 50] [--rounds 3] [--poll-control] [--watch-poll] [--neighbour-rate 0] [--health-interval 3600] [--json]
 *        [--prefill-concurrency 3] [--idle-ms 10000] [--shard-size 32] [--nursery-limit 8] [--dump FILE]
 *
 * The platform runs as `bbws up` runs it (API, worker, event handler, reconciler; real MariaDB,
 * php-fpm, nginx). For each size N:
 * - N tenants present (prefilled directly through the runtime's provisioning steps, `prefill`
 *   at a time: the data plane is what grows; the control plane only holds the measured tenants);
 * - `samples` tenants created with `POST /v1.0/tenants`, each timed from the POST to the first
 *   302 → /wp-admin/install.php through the edge (polled every 10 ms), beside the raw runtime
 *   steps of the same tenant timed inside the worker (DB+user, files, pool, route, first request);
 * - whole-stack memory with every tenant idle (php-fpm `ondemand` workers gone after
 *   pm.process_idle_timeout): VmRSS and PSS (smaps_rollup) summed over bbws (this process) and
 *   the process groups of mariadbd, every php-fpm master and nginx.
 * Then the neighbour test: an existing tenant's homepage requested by a separate process (so the
 * bench's own event loop does not add latency) — back to back, or with `--neighbour-rate R` at a
 * fixed R req/s (open loop) — in `rounds` alternating rounds: for `idle-ms` with nothing
 * happening, then while `neighbour` tenants are created through the API one after another
 * (until the last one is ACTIVE: after the worker has run its readiness step, seen through the API), then while the background work they left finishes
 * ("settling": nursery masters merged, replaced masters stopped), then idle again, and so on
 * (idle, busy, settling, idle, busy, …, idle). Every phase's p50/p99; per round the ratio of busy
 * p99 to the idle phase before it (the old single-round figure) and to the idle phases on both
 * sides pooled; the median of the rounds; all busy against all idle samples pooled
 * (bench/lib/neighbour-rounds.ts); and which provisioning steps the slow busy
 * requests overlapped (each request's start and each step's run, timed where the worker runs it).
 * Needs root and the Debian packages (`bbws setup`). Uses a temp data dir; everything it starts
 * (processes, Unix users `bw<id>-*`, the data dir) is removed at the end.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenAuthority, loadOrCreateSigningKey } from '../src/adapters/auth/jwt.js';
import { startLocalRuntime, type LocalRuntime } from '../src/adapters/runtime/local/local-runtime.js';
import { freePort } from '../src/adapters/runtime/local/mariadb.js';
import { removeRuntimeLeftovers } from '../src/adapters/runtime/local/teardown.js';
import type { InstanceSpec } from '../src/domain/tenant.js';
import type { Logger } from '../src/ports/logger.js';
import type { RuntimeStep } from '../src/ports/runtime.js';
import { parseConfig } from '../src/main/config.js';
import { startPlatform, type RunningPlatform } from '../src/main/platform.js';
import { neighbourRatios, type Phase } from './lib/neighbour-rounds.js';
import { median, percentile } from './lib/stats.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const sizes = arg('sizes', '1,100').split(',').map(Number);
const samples = Number(arg('samples', '10'));
const neighbourAdds = Number(arg('neighbour', '50'));
const neighbourRate = Number(arg('neighbour-rate', '0'));
/** Alternating rounds: idle, busy (`neighbour` creations), settling, idle, busy, … idle. */
const neighbourRounds = Math.max(1, Number(arg('rounds', '3')));
/** A control phase after the first idle one: the busy phase's API watching (GET every 20 ms) alone, nothing created. */
const pollControl = process.argv.includes('--poll-control');
/** Watch each busy-phase creation by polling the API from its POST on (the bench before 2026-12-02). */
const watchPoll = process.argv.includes('--watch-poll');
/** Periodic health checks: off (1 h) unless asked for, so that "idle" means no request at all. */
const healthIntervalS = Number(arg('health-interval', '3600'));
/** Epoch-ms start and duration of every busy-phase neighbour request, and every step run, as JSON. */
const dumpFile = arg('dump', '');
const prefillConcurrency = Number(arg('prefill-concurrency', '3'));
const idleMs = Number(arg('idle-ms', '10000'));
const shardSize = process.argv.includes('--shard-size') ? Number(arg('shard-size', '32')) : undefined;
const nurseryLimit = process.argv.includes('--nursery-limit') ? Number(arg('nursery-limit', '8')) : undefined;
const asJson = process.argv.includes('--json');
const say = (s: string) => (asJson ? process.stderr.write(`${s}\n`) : console.log(s));

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const spec = (t: string): InstanceSpec => ({ tenantId: t, environment: 'dev', hostnames: [], resources: { cpu: 256, memory: 512, desiredCount: 1 }, revision: 1 });
const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(cells[0]!), w.map((n) => '-'.repeat(n)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** GET / with a Host header: status, Location, elapsed ms. */
function get(port: number, host: string): Promise<{ status: number; location?: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { Host: host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, ms: performance.now() - t0 }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.end();
  });
}

/** Raw step names → the groups the issue asks for. */
const GROUPS: Record<string, string> = {
  'store-db-credentials': 'secrets',
  'create-database': 'db+user',
  'create-unix-user': 'files',
  'create-content-directory': 'files',
  'write-wp-config': 'files',
  'start-service': 'pool',
  'create-route': 'route',
  'await-readiness': 'first request',
};
const GROUP_ORDER = ['secrets', 'db+user', 'files', 'pool', 'route', 'first request'];

interface MemSample {
  vmRssKb: number;
  pssKb: number;
  byComponent: Record<string, { vmRssKb: number; pssKb: number; processes: number }>;
}

/** VmRSS and PSS of bbws (this process) and of every process in the process groups of the runtime's children. */
async function stackMemory(rt: LocalRuntime): Promise<MemSample> {
  const groups = new Map<number, string>();
  for (const c of rt.children()) {
    const pid = c.status().pid;
    if (pid) groups.set(pid, c.name.startsWith('php-fpm') ? 'php-fpm' : c.name);
  }
  const byComponent: MemSample['byComponent'] = {};
  const add = async (pid: number | string, comp: string) => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const pss = Number(/^Pss:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => ''))?.[1] ?? 0);
    const c = (byComponent[comp] ??= { vmRssKb: 0, pssKb: 0, processes: 0 });
    c.vmRssKb += rss;
    c.pssKb += pss;
    c.processes += 1;
  };
  await add(process.pid, 'bbws');
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      const comp = groups.get(pgid);
      if (comp) await add(pid, comp);
    } catch {
      /* exited */
    }
  }
  const sum = (k: 'vmRssKb' | 'pssKb') => Object.values(byComponent).reduce((n, c) => n + c[k], 0);
  return { vmRssKb: sum('vmRssKb'), pssKb: sum('pssKb'), byComponent };
}

/** One neighbour request: when it started (or was due; epoch ms) and how long it took (ms). */
interface Sample {
  at: number;
  ms: number;
}

/** A provisioning step as the worker ran it (epoch ms). */
interface Span {
  name: string;
  start: number;
  end: number;
}

/**
 * Which provisioning steps the slow neighbour requests overlapped: for each step name, the busy
 * requests that overlapped one of its runs, how many of them were slower than `slowMs` (the idle
 * p99), and their p99. Requests that overlapped no step are "(between steps)".
 */
function attribute(busy: Sample[], spans: Span[], slowMs: number) {
  const byStep = new Map<string, number[]>();
  for (const r of busy) {
    const end = r.at + r.ms;
    const names = new Set(spans.filter((sp) => sp.start < end && sp.end > r.at).map((sp) => sp.name));
    if (names.size === 0) names.add('(between steps)');
    for (const n of names) (byStep.get(n) ?? byStep.set(n, []).get(n)!).push(r.ms);
  }
  return [...byStep.entries()]
    .map(([step, xs]) => ({ step, requests: xs.length, slow: xs.filter((x) => x > slowMs).length, p99: percentile(xs, 99) }))
    .sort((a, b) => b.slow - a.slow);
}

/**
 * GETs of `host` from a separate Node process until stopped; returns the samples. With
 * `rate` 0: back to back, one at a time (the neighbour then keeps about a core busy by itself).
 * With `rate` > 0: open loop, request i due at start + i / rate whether or not the earlier ones
 * have answered, latency counted from its due time (a visitor-like load that does not slow down
 * when the server does).
 */
function loadGenerator(port: number, host: string, rate: number) {
  const code = `
const http = require('node:http');
const xs = []; let stop = false; let pending = 0;
process.on('message', () => { stop = true; });
const get = () => new Promise((r) => { const q = http.request({ host: '127.0.0.1', port: ${port}, path: '/', headers: { Host: '${host}' }, agent: false }, (res) => { res.resume(); res.on('end', r); }); q.on('error', r); q.end(); });
const done = () => { if (stop && pending === 0) process.send(xs, () => process.exit(0)); };
(async () => {
  if (${rate} > 0) {
    const start = performance.now(); let i = 0;
    const tick = () => {
      while (!stop && start + i * (1000 / ${rate}) <= performance.now()) {
        const due = start + i++ * (1000 / ${rate});
        pending++;
        get().then(() => { xs.push([performance.timeOrigin + due, performance.now() - due]); pending--; done(); });
      }
      if (stop) return done();
      setTimeout(tick, Math.max(0, start + i * (1000 / ${rate}) - performance.now()));
    };
    return tick();
  }
  while (!stop) {
    const t0 = performance.now();
    await get();
    xs.push([performance.timeOrigin + t0, performance.now() - t0]);
  }
  done();
})();`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const result = new Promise<Sample[]>((resolve) => child.once('message', (m) => resolve((m as [number, number][]).map(([at, ms]) => ({ at, ms })))));
  return { stop: () => (child.send('stop'), result) };
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'bbws-bench-'));
  const edgePort = await freePort();
  const config = parseConfig({ dataDir, apiPort: 0, edgePort }, {});
  const stepTimes = new Map<string, Record<string, number>>();
  const spans: Span[] = [];
  /** Called when a tenant's readiness step has run (succeeded or not): see createWatched. */
  const readinessDone = new Map<string, () => void>();
  let runtime: LocalRuntime | undefined;
  let platform: RunningPlatform | undefined;
  const out: Record<string, unknown> = { sizes: [], samples, neighbourAdds, startedAt: new Date().toISOString() };
  let cleaned: Promise<void> | undefined;
  // Stops what the run started (processes by PID through the runtime, Unix users bw<id>-*, the data dir).
  const cleanup = () =>
    (cleaned ??= (async () => {
      await platform?.stop().catch((e) => say(`stop: ${String(e)}`));
      await removeRuntimeLeftovers(dataDir);
      await rm(dataDir, { recursive: true, force: true });
    })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      say(`${sig}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  try {
    platform = await startPlatform({
      config,
      roles: ['api', 'worker', 'events', 'reconciler'],
      logger: quiet,
      createRuntime: async (ctx) => {
        const rt = await startLocalRuntime({ ...ctx, edgeListenAddress: '127.0.0.1', healthIntervalMs: healthIntervalS * 1000, ...(shardSize ? { shardSize } : {}), ...(nurseryLimit ? { nurseryLimit } : {}) });
        runtime = rt;
        // The raw steps, timed where the worker runs them.
        const timed = (tenantId: string, steps: RuntimeStep[]) =>
          steps.map((s) => ({
            ...s,
            run: async () => {
              const t0 = performance.now();
              try {
                await s.run();
              } finally {
                spans.push({ name: s.name, start: performance.timeOrigin + t0, end: performance.timeOrigin + performance.now() });
                if (s.name === 'await-readiness') readinessDone.get(tenantId)?.();
              }
              (stepTimes.get(tenantId) ?? stepTimes.set(tenantId, {}).get(tenantId)!)[s.name] = performance.now() - t0;
            },
          }));
        return { ...rt, provisionSteps: (sp: InstanceSpec) => timed(sp.tenantId, rt.provisionSteps(sp)) };
      },
    });
    const rt = runtime!;
    // (optional: the bench also runs against the previous runtime, which had no phpFpm handle)
    const settled = () => (rt as { phpFpm?: { settled(): Promise<void> } }).phpFpm?.settled() ?? Promise.resolve();
    const token = await createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key'))).sign({ role: 'platform-admin' }, 24 * 3600);
    const post = async (tenantName: string) => {
      const res = await fetch(`${platform!.apiUrl}/v1.0/tenants`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ tenantName }) });
      if (res.status !== 202) throw new Error(`POST /v1.0/tenants ${tenantName}: HTTP ${res.status} ${await res.text()}`);
    };
    /**
     * POST → ACTIVE, watched through the API (every 20 ms). The neighbour test uses this instead of
     * polling the edge: a poll that reaches the new tenant while the readiness probe's request is
     * still compiling its cold opcode cache starts a second cold worker, load that provisioning
     * itself does not cause.
     */
    const createWatched = async (tenant: string) => {
      const t0 = performance.now();
      // Unless --watch-poll: no API polling until the worker has run the readiness step (then
      // one or two GETs see ACTIVE). Polling all along (a GET every 20 ms, ~15 per creation) is
      // load of the bench's own in this process: a --poll-control phase showed it.
      const ready = watchPoll ? Promise.resolve() : new Promise<void>((r) => readinessDone.set(tenant, r));
      await post(tenant);
      await Promise.race([ready, new Promise((r) => setTimeout(r, 120_000))]);
      readinessDone.delete(tenant);
      for (;;) {
        const res = await fetch(`${platform!.apiUrl}/v1.0/tenants/${tenant}`, { headers: { authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { instance?: { provisioningState?: string; lastError?: string } };
        const state = body.instance?.provisioningState;
        if (state === 'ACTIVE') return performance.now() - t0;
        if (state === 'FAILED') throw new Error(`${tenant}: FAILED (${body.instance?.lastError})`);
        if (performance.now() - t0 > 120_000) throw new Error(`${tenant}: not ACTIVE after 120 s (${state})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    /** POST → first 302 to the installer through the edge. */
    const createTimed = async (tenant: string) => {
      const t0 = performance.now();
      await post(tenant);
      const host = `${tenant}.wpdev.localhost`;
      for (;;) {
        const r = await get(edgePort, host);
        if (r.status === 302 && r.location?.endsWith('/wp-admin/install.php')) return performance.now() - t0;
        if (performance.now() - t0 > 120_000) throw new Error(`${tenant}: no 302 after 120 s (last ${r.status})`);
        await new Promise((res) => setTimeout(res, 10));
      }
    };
    const prefillOne = async (tenant: string) => {
      for (const s of rt.provisionSteps(spec(tenant))) await s.run();
    };

    const base = await stackMemory(rt);
    say(`stack with 0 tenants: VmRSS ${f1(base.vmRssKb / 1024)} MiB, PSS ${f1(base.pssKb / 1024)} MiB`);
    await createTimed('neighbour');
    let present = 1;
    let prefilled = 0;
    for (const size of sizes) {
      const tPrefill = performance.now();
      const todo = Math.max(0, size - present);
      let next = 0;
      await Promise.all(
        Array.from({ length: prefillConcurrency }, async () => {
          while (next < todo) {
            next++;
            await prefillOne(`p${String(prefilled++).padStart(5, '0')}`);
          }
        }),
      );
      present += todo;
      if (todo) say(`prefilled ${todo} tenants in ${f1((performance.now() - tPrefill) / 1000)} s (${f0((performance.now() - tPrefill) / todo)} ms each, ${prefillConcurrency} at a time)`);
      await settled();
      // Let the prefill's workers go idle so that they do not compete with the samples.
      await new Promise((r) => setTimeout(r, 2_000));

      const totals: number[] = [];
      const raws: number[] = [];
      const ratios: number[] = [];
      const perGroup: Record<string, number[]> = {};
      const perStep: Record<string, number[]> = {};
      for (let i = 0; i < samples; i++) {
        const tenant = `s${size}x${i}`;
        const total = await createTimed(tenant);
        const steps = stepTimes.get(tenant) ?? {};
        const groups: Record<string, number> = {};
        for (const [k, v] of Object.entries(steps)) groups[GROUPS[k] ?? k] = (groups[GROUPS[k] ?? k] ?? 0) + v;
        for (const [k, v] of Object.entries(groups)) (perGroup[k] ??= []).push(v);
        for (const [k, v] of Object.entries(steps)) (perStep[k] ??= []).push(v);
        const raw = Object.values(groups).reduce((a, b) => a + b, 0);
        totals.push(total);
        raws.push(raw);
        ratios.push(total / raw);
        present++;
      }
      await settled();
      // Idle: ondemand workers exit after pm.process_idle_timeout (10 s).
      await new Promise((r) => setTimeout(r, 12_000));
      const mem = await stackMemory(rt);
      const result = {
        size,
        present,
        e2e: { p50: median(totals), p95: percentile(totals, 95), max: Math.max(...totals), all: totals.map((x) => Math.round(x)) },
        raw: { p50: median(raws), p95: percentile(raws, 95) },
        ratio: { p50OfRatios: median(ratios), p95OfRatios: percentile(ratios, 95), p50OverRawP50: median(totals) / median(raws) },
        rawSteps: Object.fromEntries(Object.entries(perStep).map(([k, xs]) => [k, { p50: median(xs), p95: percentile(xs, 95) }])),
        steps: Object.fromEntries(GROUP_ORDER.filter((g) => perGroup[g]).map((g) => [g, { p50: median(perGroup[g]!), p95: percentile(perGroup[g]!, 95) }])),
        memory: { ...mem, perTenantVmRssMiB: mem.vmRssKb / 1024 / present, perTenantPssMiB: mem.pssKb / 1024 / present, phpFpmMasters: rt.children().filter((c) => c.name.startsWith('php-fpm')).length },
      };
      (out.sizes as unknown[]).push(result);
      say(`\n== ${size} tenants present before the samples (${present} after) ==`);
      say(
        table(
          ['', 'p50 ms', 'p95 ms'],
          [
            ['POST → first 302 via edge', f0(result.e2e.p50), f0(result.e2e.p95)],
            ['raw steps (sum, same tenant)', f0(result.raw.p50), f0(result.raw.p95)],
            ...GROUP_ORDER.filter((g) => perGroup[g]).flatMap((g) => [
              [`  ${g}`, f0(median(perGroup[g]!)), f0(percentile(perGroup[g]!, 95))],
              ...Object.entries(perStep)
                .filter(([k]) => GROUPS[k] === g && Object.values(GROUPS).filter((x) => x === g).length > 1)
                .map(([k, xs]) => [`    ${k}`, f0(median(xs)), f0(percentile(xs, 95))]),
            ]),
            ['ratio end-to-end / raw', f2(result.ratio.p50OfRatios), f2(result.ratio.p95OfRatios)],
          ],
        ),
      );
      say(
        table(
          ['idle memory', 'VmRSS MiB', 'PSS MiB', 'processes'],
          [
            ...Object.entries(mem.byComponent).map(([k, v]) => [k, f1(v.vmRssKb / 1024), f1(v.pssKb / 1024), v.processes]),
            ['total', f1(mem.vmRssKb / 1024), f1(mem.pssKb / 1024), Object.values(mem.byComponent).reduce((n, c) => n + c.processes, 0)],
            [`per tenant (${present})`, f2(result.memory.perTenantVmRssMiB), f2(result.memory.perTenantPssMiB), ''],
          ],
        ),
      );
    }

    // Neighbour: the first tenant's homepage, idle vs while `neighbourAdds` tenants are created.
    if (neighbourAdds > 0) {
      const host = 'neighbour.wpdev.localhost';
      for (let i = 0; i < 50; i++) await get(edgePort, host);
      const phase = async (work: () => Promise<void>) => {
        const lg = loadGenerator(edgePort, host, neighbourRate);
        await work();
        return lg.stop();
      };
      const idleWait = () => new Promise<void>((r) => setTimeout(r, idleMs));
      const phases: (Phase & { name: string; samples: Sample[] })[] = [];
      const record = (kind: Phase['kind'], round: number, samples: Sample[]) => phases.push({ kind, round, name: `${kind}${round}`, samples, ms: samples.map((x) => x.ms) });
      const adds: number[] = [];
      const busyWindows: { start: number; end: number }[] = [];
      spans.length = 0;
      record('idle', 0, await phase(idleWait));
      if (pollControl) {
        const until = Date.now() + idleMs;
        record(
          'poll',
          0,
          await phase(async () => {
            while (Date.now() < until) {
              await (await fetch(`${platform!.apiUrl}/v1.0/tenants/neighbour`, { headers: { authorization: `Bearer ${token}` } })).json();
              await new Promise((r) => setTimeout(r, 20));
            }
          }),
        );
      }
      let created = 0;
      for (let round = 1; round <= neighbourRounds; round++) {
        // Busy: from the first POST to the last tenant ACTIVE. Then the background work the
        // creations left (merging nursery masters, stopping the replaced ones) until it is done.
        const start = Date.now();
        record(
          'busy',
          round,
          await phase(async () => {
            for (let i = 0; i < neighbourAdds; i++) adds.push(await createWatched(`nb${String(created++).padStart(4, '0')}`));
          }),
        );
        busyWindows.push({ start, end: Date.now() });
        const settling = await phase(() => settled());
        if (settling.length) record('settling', round, settling);
        record('idle', round, await phase(idleWait));
        present += neighbourAdds;
      }
      const s = (xs: readonly number[]) => ({ n: xs.length, p50: median(xs), p99: percentile(xs, 99), max: xs.length ? Math.max(...xs) : Number.NaN });
      const ratios = neighbourRatios(phases);
      const busySamples = phases.filter((p) => p.kind === 'busy').flatMap((p) => p.samples);
      const busySpans = spans.filter((sp) => busyWindows.some((w) => sp.end >= w.start && sp.start <= w.end));
      const attribution = attribute(busySamples, busySpans, ratios.pooled.idleP99);
      // The raw busy-phase requests and step runs, to line them up with `perf record -k CLOCK_REALTIME`.
      if (dumpFile) await writeFile(dumpFile, JSON.stringify({ busy: busySamples, spans: busySpans, phases: phases.map((p) => ({ name: p.name, samples: p.samples })) }));
      const first = ratios.rounds[0];
      const phaseStats = phases.map((p) => ({ name: p.name, ...s(p.ms) }));
      const addStats = { p50: median(adds), p95: percentile(adds, 95) };
      out.neighbour = {
        rate: neighbourRate,
        rounds: neighbourRounds,
        phases: phaseStats,
        ratios,
        // The figures of the single-round bench (round 1 against idle0 and against idle0 + idle1).
        ratioP99: first?.ratioBefore,
        ratioP99BothIdle: first?.ratioAround,
        busyWindows,
        attribution,
        adds: addStats,
      };
      const load = neighbourRate > 0 ? `open loop at ${neighbourRate} req/s` : 'back to back, one at a time';
      say(`\nbusy phases: ${busyWindows.map((w) => `${new Date(w.start).toISOString()} – ${new Date(w.end).toISOString()}`).join(', ')}`);
      say(`\n== neighbour homepage (${load}), ${neighbourRounds} round(s) of ${neighbourAdds} tenants created (${present - neighbourRounds * neighbourAdds} present before, ${present} after) ==`);
      say(table(['phase', 'n', 'p50 ms', 'p99 ms', 'max ms'], phaseStats.map((x) => [x.name, x.n, f1(x.p50), f1(x.p99), f1(x.max)])));
      say(`\n${table(['round', 'busy p99', 'idle before p99', 'idle around p99', 'busy/before', 'busy/around'], ratios.rounds.map((r) => [String(r.round), f1(r.busyP99), f1(r.idleBeforeP99), f1(r.idleAroundP99), f2(r.ratioBefore), f2(r.ratioAround)]))}`);
      const pl = ratios.pooled;
      say(`pooled: busy p50 ${f1(pl.busyP50)} p99 ${f1(pl.busyP99)} ms (n ${pl.busyN}); idle p50 ${f1(pl.idleP50)} p99 ${f1(pl.idleP99)} ms (n ${pl.idleN}); busy/idle p99 ${f2(pl.ratio)}`);
      say(`median of rounds: busy/around ${f2(ratios.medianRatioAround)} (worst ${f2(ratios.maxRatioAround)}); busy/before ${f2(ratios.medianRatioBefore)}`);
      say(`old-style (round 1): busy / idle before ${f2(first?.ratioBefore ?? Number.NaN)}; busy / both idle phases ${f2(first?.ratioAround ?? Number.NaN)}; creations p50 ${f0(addStats.p50)} ms, p95 ${f0(addStats.p95)} ms`);
      say(`\nbusy-phase requests by the provisioning step they overlapped (slow: > pooled idle p99 ${f1(pl.idleP99)} ms):`);
      say(table(['step', 'requests', 'slow', 'slow %', 'p99 ms'], attribution.map((a) => [a.step, a.requests, a.slow, f1((100 * a.slow) / a.requests), f1(a.p99)])));
    }
  } finally {
    await cleanup();
  }
  if (asJson) console.log(JSON.stringify(out, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
