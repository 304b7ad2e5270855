/**
 * Sites on the local runtime (real MariaDB, php-fpm, nginx, WordPress; the whole platform as
 * `bbws up` runs it, through test/support/platform-local-harness.ts in a temp data dir):
 *
 * a. Site creation, end to end: `POST /v1.0/tenants/{t}/sites` → operation SUCCEEDED (polled every
 *    20 ms) → first 200 of the homepage through the edge with the site's title (polled every 20 ms),
 *    one site after another. Baselines in the same run: the operation journal's `install-wordpress`
 *    step of each site, and `wordpress.installSite` called directly for `--raw` extra site refs
 *    (after `routeSite`, which the API's first step does too).
 * b. Homepage throughput of one installed site: through the edge (HTTP keep-alive → nginx →
 *    FastCGI → the tenant's php-fpm pool) vs straight to php-fpm (FastCGI on the pool's Unix
 *    socket, the params nginx sends, one connection per request as nginx does). Same closed-loop
 *    load generator for both, in a child process (its own event loop), same concurrency, alternated
 *    edge, direct, edge, direct…; medians over rounds. One autocannon run per concurrency against
 *    the edge as a cross-check of the generator.
 *
 *   node --import tsx bench/sites.bench.ts [--json] [--sites 20] [--raw 3] [--concurrency 8,32]
 *        [--duration 10] [--warmup 3] [--rounds 2] [--desired-count N] [--no-autocannon]
 *
 * Needs root and the Debian packages (`bbws setup`). Everything it starts (processes, Unix users,
 * the data dir) is removed at the end, also on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LocalRuntime } from '../src/adapters/runtime/local/local-runtime.js';
import { newSiteId } from '../src/domain/site.js';
import type { SiteRef } from '../src/ports/wordpress.js';
import { startLocalPlatform, type LocalPlatform } from '../test/support/platform-local-harness.js';
import { fastcgiRequest, nginxLikeParams } from './lib/fastcgi.js';
import { fmt, machineNote, median, percentile, table } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sites: { type: 'string', default: '20' },
    raw: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8,32' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    'desired-count': { type: 'string' },
    'no-autocannon': { type: 'boolean', default: false },
    'skip-creation': { type: 'boolean', default: false },
    worker: { type: 'string' },
  },
});

const TENANT = 'benchsites';
const TARGET = { seedP95Ms: 600_000, issueMs: 1_500, edgeRatio: 0.95 };
const hostOf = (name: string) => `${name}.${TENANT}.wpdev.localhost`;
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- load generator (child process)

interface WorkerConfig {
  mode: 'edge' | 'direct';
  seconds: number;
  concurrency: number;
  edgePort: number;
  host: string;
  socket: string;
  documentRoot: string;
}

interface LoadResult {
  mode: 'edge' | 'direct';
  concurrency: number;
  requests: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non200: number;
  errors: number;
  /** CPU (user+system) of the load generator per request, µs. */
  clientCpuUsPerReq: number;
}

async function runWorker(cfg: WorkerConfig): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: cfg.concurrency, maxFreeSockets: cfg.concurrency });
  const params = nginxLikeParams({ documentRoot: cfg.documentRoot, host: cfg.host, port: cfg.edgePort });
  const edgeGet = () =>
    new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: cfg.edgePort, path: '/', agent, headers: { host: `${cfg.host}:${cfg.edgePort}` } }, (res) => {
        res.on('data', () => undefined).on('end', () => resolve(res.statusCode ?? 0)).on('error', reject);
      })
        .on('error', reject)
        .end();
    });
  const directGet = async () => (await fastcgiRequest(cfg.socket, params)).status;
  const once = cfg.mode === 'edge' ? edgeGet : directGet;
  const latencies: number[] = [];
  let non200 = 0;
  let errors = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + cfg.seconds * 1000;
  await Promise.all(
    Array.from({ length: cfg.concurrency }, async () => {
      while (performance.now() < deadline) {
        const s = performance.now();
        try {
          if ((await once()) !== 200) non200++;
          latencies.push(performance.now() - s);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  return {
    mode: cfg.mode,
    concurrency: cfg.concurrency,
    requests: latencies.length,
    reqPerSec: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    non200,
    errors,
    clientCpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, latencies.length),
  };
}

function spawnWorker(cfg: WorkerConfig, signal: AbortSignal): Promise<LoadResult> {
  const argv = ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker', JSON.stringify(cfg)];
  return collectJson(spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], signal }), 'load worker');
}

function collectJson<T>(child: ReturnType<typeof spawn>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${what} exited with ${code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out) as T);
      } catch {
        reject(new Error(`${what} printed no JSON: ${out.slice(0, 200)} ${err.slice(0, 200)}`));
      }
    });
  });
}

const autocannonBin = createRequire(import.meta.url).resolve('autocannon');
async function autocannonEdge(cfg: WorkerConfig, signal: AbortSignal): Promise<LoadResult> {
  const argv = [autocannonBin, '--json', '--no-progress', '-c', String(cfg.concurrency), '-d', String(cfg.seconds), '-H', `host=${cfg.host}:${cfg.edgePort}`, `http://127.0.0.1:${cfg.edgePort}/`];
  const r = await collectJson<Record<string, any>>(spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], signal }), 'autocannon');
  return {
    mode: 'edge',
    concurrency: cfg.concurrency,
    requests: r.requests.total,
    reqPerSec: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non200: r.non2xx,
    errors: r.errors + r.timeouts,
    clientCpuUsPerReq: Number.NaN,
  };
}

// ---------------------------------------------------------------- the bench

interface Creation {
  siteName: string;
  apiMs: number;
  opMs: number;
  e2eMs: number;
  steps: Record<string, number>;
}

async function waitOp(p: LocalPlatform, id: string, timeoutMs = 600_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const op = (await p.api('GET', `/v1.0/operations/${id}`)).body;
    if (op.status === 'SUCCEEDED') return op;
    if (op.status === 'FAILED') throw new Error(`operation ${id} failed: ${JSON.stringify(op)}`);
    if (Date.now() > deadline) throw new Error(`operation ${id} timed out`);
    await sleep(20);
  }
}

async function waitHome(p: LocalPlatform, host: string, title: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await p.edge(host).catch(() => ({ status: 0, body: '' }));
    if (res.status === 200 && res.body.includes(title)) return;
    if (Date.now() > deadline) throw new Error(`homepage of ${host} not 200 with its title (last ${res.status})`);
    await sleep(20);
  }
}

async function measureCreation(p: LocalPlatform, n: number): Promise<Creation[]> {
  const out: Creation[] = [];
  for (let i = 0; i < n; i++) {
    const siteName = `site${i}`;
    const title = `Bench Site ${i}`;
    const t0 = performance.now();
    const res = await p.api('POST', `/v1.0/tenants/${TENANT}/sites`, { siteName, title, adminEmail: 'owner@example.com' });
    const apiMs = performance.now() - t0;
    if (res.status !== 202) throw new Error(`POST sites: ${res.status} ${JSON.stringify(res.body)}`);
    const op = await waitOp(p, res.body.operationId);
    const opMs = performance.now() - t0;
    await waitHome(p, hostOf(siteName), title);
    const e2eMs = performance.now() - t0;
    const steps: Record<string, number> = {};
    for (const s of op.steps as Array<{ name: string; durationMs: number | null }>) steps[s.name] = (steps[s.name] ?? 0) + (s.durationMs ?? 0);
    out.push({ siteName, apiMs, opMs, e2eMs, steps });
    log(`  ${siteName}: ${fmt(e2eMs)} ms end to end (POST ${fmt(apiMs)}, op ${fmt(opMs)}; ${Object.entries(steps).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  }
  return out;
}

async function measureRawInstall(p: LocalPlatform, n: number): Promise<{ routeMs: number[]; installMs: number[] }> {
  const wp = p.platform.deps.wordpress;
  if (!wp) throw new Error('the platform runs without a WordPress adapter');
  const routeMs: number[] = [];
  const installMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const ref: SiteRef = { tenantId: TENANT, siteId: newSiteId(), hostnames: [hostOf(`raw${i}`)] };
    let t = performance.now();
    await wp.routeSite(ref);
    routeMs.push(performance.now() - t);
    t = performance.now();
    await wp.installSite(ref, { title: `Raw ${i}`, adminUser: 'admin', adminEmail: 'owner@example.com', adminPassword: `pw-${ref.siteId}-0123456789` });
    installMs.push(performance.now() - t);
    log(`  raw${i}: routeSite ${fmt(routeMs[i])} ms, installSite ${fmt(installMs[i])} ms`);
    await wp.removeSite(ref);
    await wp.unrouteSite(ref);
  }
  return { routeMs, installMs };
}

const dist = (v: number[]) => ({ n: v.length, p50: percentile(v, 50), p95: percentile(v, 95), p99: percentile(v, 99), median: median(v), max: Math.max(...v) });

async function main(): Promise<number> {
  const abort = new AbortController();
  let p: LocalPlatform | undefined;
  let stopping: Promise<void> | undefined;
  const cleanup = () => (stopping ??= (async () => {
    abort.abort();
    await p?.stop().catch((e) => log(`cleanup: ${e}`));
  })());
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const nSites = Number(args.sites);
  const nRaw = Number(args.raw);
  const concurrencies = args.concurrency!.split(',').map(Number);
  const seconds = Number(args.duration);
  const warmupS = Number(args.warmup);
  const rounds = Number(args.rounds);
  const machine = await machineNote();
  const command = `node --import tsx bench/sites.bench.ts ${process.argv.slice(2).join(' ')}`.trim();
  try {
    log('starting the platform (MariaDB, php-fpm, nginx, API, workers)…');
    p = await startLocalPlatform();
    const runtime = p.platform.runtime as LocalRuntime;
    const created = await p.api('POST', '/v1.0/tenants', { tenantName: TENANT });
    if (created.status !== 202) throw new Error(`POST tenants: ${created.status} ${JSON.stringify(created.body)}`);
    await waitOp(p, created.body.operationId);

    // a. creation
    let creations: Creation[] = [];
    let raw = { routeMs: [] as number[], installMs: [] as number[] };
    if (!args['skip-creation']) {
      log(`creating ${nSites} sites one after another…`);
      creations = await measureCreation(p, nSites);
      log(`raw installSite for ${nRaw} extra site refs…`);
      raw = await measureRawInstall(p, nRaw);
    } else {
      creations = await measureCreation(p, 1);
    }

    // b. throughput
    if (args['desired-count']) {
      const r = await p.api('PATCH', `/v1.0/tenants/${TENANT}/instance`, { desiredCount: Number(args['desired-count']) });
      if (r.status !== 202) throw new Error(`PATCH instance: ${r.status} ${JSON.stringify(r.body)}`);
      await waitOp(p, r.body.operationId);
    }
    const site = creations[0]!;
    const host = hostOf(site.siteName);
    const title = 'Bench Site 0';
    const socket = runtime.tenantSocket(TENANT);
    const documentRoot = join(runtime.layout.edgeRoutes, host);
    const poolFile = join(runtime.layout.phpFpmPools, basename(socket).replace(/\.sock$/, '.json'));
    const pool = JSON.parse(await readFile(poolFile, 'utf8').catch(() => '{}'));
    const maxChildren = pool.maxChildren ?? pool.capacity ?? null;

    // Self-check of the FastCGI client: same page, same title, as through the edge.
    const direct = await fastcgiRequest(socket, nginxLikeParams({ documentRoot, host, port: p.edgePort }));
    if (direct.status !== 200 || !direct.body.toString('utf8').includes(title)) {
      throw new Error(`FastCGI self-check failed: status ${direct.status}, ${direct.body.length} bytes, stderr ${direct.stderr.slice(0, 300)}`);
    }
    const viaEdge = await p.edge(host);
    if (viaEdge.status !== 200 || !viaEdge.body.includes(title)) throw new Error(`edge self-check failed: ${viaEdge.status}`);
    log(`self-check ok: FastCGI ${direct.body.length} bytes, edge ${Buffer.byteLength(viaEdge.body)} bytes, both with "${title}"; pool ${JSON.stringify(pool)}`);

    const base = { seconds, edgePort: p.edgePort, host, socket, documentRoot };
    const maxC = Math.max(...concurrencies);
    log(`warm-up ${warmupS}s each at ${maxC} connections…`);
    await spawnWorker({ ...base, mode: 'edge', seconds: warmupS, concurrency: maxC }, abort.signal);
    await spawnWorker({ ...base, mode: 'direct', seconds: warmupS, concurrency: maxC }, abort.signal);

    const runs: LoadResult[] = [];
    const crossChecks: LoadResult[] = [];
    for (const c of concurrencies) {
      for (let r = 0; r < rounds; r++) {
        for (const mode of ['edge', 'direct'] as const) {
          const res = await spawnWorker({ ...base, mode, concurrency: c }, abort.signal);
          runs.push(res);
          log(`  c=${c} round ${r + 1} ${mode}: ${fmt(res.reqPerSec, 1)} req/s, p50 ${fmt(res.p50Ms, 1)} ms, p99 ${fmt(res.p99Ms, 1)} ms, non-200 ${res.non200}, errors ${res.errors}`);
        }
      }
      if (!args['no-autocannon']) {
        const ac = await autocannonEdge({ ...base, mode: 'edge', concurrency: c }, abort.signal);
        crossChecks.push(ac);
        log(`  c=${c} autocannon edge: ${fmt(ac.reqPerSec, 1)} req/s, p50 ${ac.p50Ms} ms, p99 ${ac.p99Ms} ms, non-2xx ${ac.non200}, errors ${ac.errors}`);
      }
    }

    // ---------------------------------------------------------------- report
    const e2e = creations.map((c) => c.e2eMs);
    const stepInstall = creations.map((c) => c.steps['install-wordpress'] ?? Number.NaN);
    const stepRoute = creations.map((c) => c.steps['route-site'] ?? Number.NaN);
    const opOnly = creations.map((c) => c.opMs);
    const outside = creations.map((c) => c.e2eMs - Object.values(c.steps).reduce((a, b) => a + b, 0));
    const rawInstallMedian = median(raw.installMs);
    const creation = {
      sites: creations.length,
      e2eMs: dist(e2e),
      opSucceededMs: dist(opOnly),
      postMs: dist(creations.map((c) => c.apiMs)),
      stepRouteSiteMs: dist(stepRoute),
      stepInstallWordPressMs: dist(stepInstall),
      outsideStepsMs: dist(outside),
      rawRouteSiteMs: raw.routeMs.length ? dist(raw.routeMs) : null,
      rawInstallSiteMs: raw.installMs.length ? dist(raw.installMs) : null,
      ratioE2eToStepInstall: median(e2e) / median(stepInstall),
      ratioE2eToRawInstall: median(e2e) / rawInstallMedian,
      targets: {
        seedP95Under600s: percentile(e2e, 95) < TARGET.seedP95Ms,
        issueP95AtMost1500ms: percentile(e2e, 95) <= TARGET.issueMs,
        issueP50AtMost1500ms: percentile(e2e, 50) <= TARGET.issueMs,
      },
      perSite: creations.map((c) => ({ ...c, apiMs: Math.round(c.apiMs), opMs: Math.round(c.opMs), e2eMs: Math.round(c.e2eMs) })),
    };
    const throughput = concurrencies.map((c) => {
      const of = (mode: 'edge' | 'direct') => runs.filter((r) => r.concurrency === c && r.mode === mode);
      const m = (rs: LoadResult[], k: keyof LoadResult) => median(rs.map((r) => r[k] as number));
      const edge = of('edge');
      const dir = of('direct');
      const ratio = m(edge, 'reqPerSec') / m(dir, 'reqPerSec');
      return {
        concurrency: c,
        edge: { reqPerSec: m(edge, 'reqPerSec'), p50Ms: m(edge, 'p50Ms'), p99Ms: m(edge, 'p99Ms'), non200: edge.reduce((a, r) => a + r.non200, 0), errors: edge.reduce((a, r) => a + r.errors, 0), clientCpuUsPerReq: m(edge, 'clientCpuUsPerReq') },
        direct: { reqPerSec: m(dir, 'reqPerSec'), p50Ms: m(dir, 'p50Ms'), p99Ms: m(dir, 'p99Ms'), non200: dir.reduce((a, r) => a + r.non200, 0), errors: dir.reduce((a, r) => a + r.errors, 0), clientCpuUsPerReq: m(dir, 'clientCpuUsPerReq') },
        autocannonEdge: crossChecks.find((r) => r.concurrency === c) ?? null,
        ratioEdgeToDirect: ratio,
        targetEdgeAtLeast95pctOfDirect: ratio >= TARGET.edgeRatio,
        rounds: of('edge').map((e, i) => ({ edge: e.reqPerSec, direct: dir[i]?.reqPerSec })),
      };
    });
    const result = { command, machine, tenant: TENANT, pool: { ...pool, maxChildren }, creation, throughput };

    if (args.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(`Sites bench — ${machine}`);
      console.log(`${command}\n`);
      console.log(`a. Site creation, ${creations.length} sites one after another (POST → operation SUCCEEDED → first 200 with the title through the edge), ms:\n`);
      const row = (name: string, d: ReturnType<typeof dist> | null, ratioTo?: number) =>
        d ? [name, String(d.n), fmt(d.p50), fmt(d.p95), fmt(d.p99), fmt(d.max), ratioTo ? fmt(d.p50 / ratioTo, 2) : '-'] : [name, '0', '-', '-', '-', '-', '-'];
      console.log(
        table(
          ['measure', 'n', 'p50', 'p95', 'p99', 'max', 'p50 / raw installSite'],
          [
            row('end to end (POST → homepage 200)', creation.e2eMs, rawInstallMedian),
            row('POST → operation SUCCEEDED', creation.opSucceededMs, rawInstallMedian),
            row('POST (202)', creation.postMs, rawInstallMedian),
            row('step route-site (journal)', creation.stepRouteSiteMs, rawInstallMedian),
            row('step install-wordpress (journal)', creation.stepInstallWordPressMs, rawInstallMedian),
            row('outside the steps (queue, polling, edge)', creation.outsideStepsMs, rawInstallMedian),
            row('baseline: routeSite direct', creation.rawRouteSiteMs, rawInstallMedian),
            row('baseline: installSite direct', creation.rawInstallSiteMs, rawInstallMedian),
          ],
        ),
      );
      const p95 = percentile(e2e, 95);
      console.log(`\nend to end / install-wordpress step (medians): ${fmt(creation.ratioE2eToStepInstall, 2)}; end to end / raw installSite: ${fmt(creation.ratioE2eToRawInstall, 2)}`);
      console.log(`target seed SiteCreationDuration p95 < 600 s: ${creation.targets.seedP95Under600s ? 'MET' : 'MISSED'} (${fmt(p95)} ms)`);
      console.log(`target issue ≤ 1.5 s: p95 ${creation.targets.issueP95AtMost1500ms ? 'MET' : 'MISSED'} (${fmt(p95)} ms), p50 ${creation.targets.issueP50AtMost1500ms ? 'MET' : 'MISSED'} (${fmt(percentile(e2e, 50))} ms)\n`);

      console.log(`b. Homepage throughput of one site (pool pm.max_children ${maxChildren ?? '?'}), ${seconds}s per run, ${rounds} rounds alternating edge/direct, medians:\n`);
      const rows: string[][] = [];
      for (const t of throughput) {
        rows.push([`direct FastCGI (unix socket), c=${t.concurrency}`, fmt(t.direct.reqPerSec, 1), fmt(t.direct.p50Ms, 1), fmt(t.direct.p99Ms, 1), '1.00', String(t.direct.non200 + t.direct.errors)]);
        rows.push([`edge (nginx → php-fpm), c=${t.concurrency}`, fmt(t.edge.reqPerSec, 1), fmt(t.edge.p50Ms, 1), fmt(t.edge.p99Ms, 1), fmt(t.ratioEdgeToDirect, 3), String(t.edge.non200 + t.edge.errors)]);
        if (t.autocannonEdge) rows.push([`edge, autocannon cross-check, c=${t.concurrency}`, fmt(t.autocannonEdge.reqPerSec, 1), fmt(t.autocannonEdge.p50Ms, 1), fmt(t.autocannonEdge.p99Ms, 1), fmt(t.autocannonEdge.reqPerSec / t.direct.reqPerSec, 3), String(t.autocannonEdge.non200 + t.autocannonEdge.errors)]);
      }
      console.log(table(['target', 'req/s', 'p50 ms', 'p99 ms', 'ratio to direct', 'non-200+errors'], rows));
      for (const t of throughput) console.log(`target edge ≥ 95 % of direct at c=${t.concurrency}: ${t.targetEdgeAtLeast95pctOfDirect ? 'MET' : 'MISSED'} (${fmt(t.ratioEdgeToDirect * 100, 1)} %; rounds ${t.rounds.map((r) => `${fmt(r.edge, 1)}/${fmt(r.direct ?? Number.NaN, 1)}`).join(', ')})`);
    }
    const bad = runs.some((r) => r.non200 + r.errors > 0);
    if (bad) log('some requests were not 200 (see non-200+errors)');
    return bad ? 1 : 0;
  } finally {
    await cleanup();
  }
}

if (args.worker) {
  runWorker(JSON.parse(args.worker) as WorkerConfig).then(
    (r) => console.log(JSON.stringify(r)),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
} else {
  main().then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
