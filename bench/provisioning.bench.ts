/**
 * Provisioning benchmark of the local runtime (prints figures; not a timed test).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/provisioning.bench.js [--sizes 1,100] [--samples 10] [--neighbour 50]
 *
 * For each size N: N tenants present, then `samples` more provisioned one by one; reports p50/p95
 * of start-of-steps → first good answer through the edge, beside each raw step; whole-stack RSS
 * per idle tenant; and a neighbour's p99 homepage latency while `neighbour` tenants are added vs idle.
 * Needs root and the Debian packages (`bbws setup`). Uses a temp data dir, removed at the end.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime, type LocalRuntime } from '../src/adapters/runtime/local/local-runtime.js';
import { freePort } from '../src/adapters/runtime/local/mariadb.js';
import { listUsers, removeSystemUser } from '../src/adapters/runtime/local/unix-users.js';
import { createLocalSecrets } from '../src/adapters/secrets/local.js';
import type { InstanceSpec } from '../src/domain/tenant.js';
import type { Logger } from '../src/ports/logger.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const sizes = arg('sizes', '1,100').split(',').map(Number);
const samples = Number(arg('samples', '10'));
const neighbourAdds = Number(arg('neighbour', '50'));

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const spec = (t: string): InstanceSpec => ({ tenantId: t, environment: 'dev', hostnames: [], resources: { cpu: 256, memory: 512, desiredCount: 1 }, revision: 1 });
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
const ms = (x: number) => `${x.toFixed(0)} ms`;

function get(port: number, host: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { Host: host } }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sum of VmRSS (KiB) of every process in the process groups of the runtime's children. */
async function stackRssKb(rt: LocalRuntime): Promise<number> {
  const groups = new Set(rt.children().map((c) => c.status().pid).filter((p): p is number => !!p));
  let total = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (!groups.has(pgid)) continue;
      const m = /VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
      total += m ? Number(m[1]) : 0;
    } catch {
      /* exited */
    }
  }
  return total;
}

async function provisionTimed(rt: LocalRuntime, tenant: string): Promise<{ total: number; steps: Record<string, number> }> {
  const steps: Record<string, number> = {};
  const t0 = performance.now();
  for (const s of rt.provisionSteps(spec(tenant))) {
    const s0 = performance.now();
    await s.run();
    steps[s.name] = performance.now() - s0;
  }
  return { total: performance.now() - t0, steps };
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'bbws-bench-'));
  const edgePort = await freePort();
  const rt = await startLocalRuntime({
    config: { dataDir, apiPort: 0, edgePort, env: 'dev', baseDomain: 'localhost', clusterName: 'bbws-cluster-dev', mysqlUrl: null, operationDeadlineMinutes: 15, rateLimitPerSecond: 100, logLevel: 'info' },
    secrets: createLocalSecrets({ dir: join(dataDir, 'secrets') }),
    emit: async () => undefined,
    logger: quiet,
    edgeListenAddress: '127.0.0.1',
    healthIntervalMs: 3_600_000,
  });
  let count = 0;
  try {
    const baseRss = await stackRssKb(rt);
    console.log(`stack RSS with 0 tenants: ${(baseRss / 1024).toFixed(1)} MiB`);
    await provisionTimed(rt, 'neighbour');
    count = 1;
    for (const size of sizes) {
      while (count < size) await provisionTimed(rt, `t${String(count++).padStart(5, '0')}`);
      const totals: number[] = [];
      const perStep: Record<string, number[]> = {};
      for (let i = 0; i < samples; i++) {
        const r = await provisionTimed(rt, `s${size}x${i}`);
        totals.push(r.total);
        for (const [k, v] of Object.entries(r.steps)) (perStep[k] ??= []).push(v);
        for (const s of rt.deprovisionSteps(spec(`s${size}x${i}`), 'hard')) await s.run();
      }
      const rawP50 = Object.values(perStep).reduce((n, xs) => n + pct(xs, 50), 0);
      console.log(`\n== ${size} tenants present ==`);
      console.log(`provision → first good answer: p50 ${ms(pct(totals, 50))}, p95 ${ms(pct(totals, 95))} (n=${samples}); sum of step p50s ${ms(rawP50)}`);
      for (const [k, xs] of Object.entries(perStep)) console.log(`  ${k.padEnd(26)} p50 ${ms(pct(xs, 50)).padStart(8)}  p95 ${ms(pct(xs, 95)).padStart(8)}`);
      // Idle: ondemand workers exit after pm.process_idle_timeout (10 s).
      await new Promise((r) => setTimeout(r, 12_000));
      const rss = await stackRssKb(rt);
      console.log(`stack RSS idle: ${(rss / 1024).toFixed(1)} MiB; per tenant ${(rss / 1024 / count).toFixed(2)} MiB total, ${((rss - baseRss) / 1024 / count).toFixed(2)} MiB marginal`);
    }

    // Neighbour: p99 of the first tenant's homepage, idle vs while `neighbourAdds` tenants are added.
    const host = 'neighbour.wpdev.localhost';
    for (let i = 0; i < 20; i++) await get(edgePort, host);
    const measure = async (until: () => boolean) => {
      const xs: number[] = [];
      while (!until()) xs.push(await get(edgePort, host));
      return xs;
    };
    let idleDone = false;
    setTimeout(() => (idleDone = true), 10_000);
    const idle = await measure(() => idleDone);
    let busyDone = false;
    const adding = (async () => {
      try {
        for (let i = 0; i < neighbourAdds; i++) await provisionTimed(rt, `nb${String(i).padStart(4, '0')}`);
      } finally {
        busyDone = true;
      }
    })();
    const busy = await measure(() => busyDone);
    await adding;
    console.log(`\nneighbour homepage: idle p50 ${pct(idle, 50).toFixed(1)} ms p99 ${pct(idle, 99).toFixed(1)} ms (n=${idle.length}); while adding ${neighbourAdds}: p50 ${pct(busy, 50).toFixed(1)} ms p99 ${pct(busy, 99).toFixed(1)} ms (n=${busy.length}); ratio ${(pct(busy, 99) / pct(idle, 99)).toFixed(2)}`);
  } finally {
    await rt.stop();
    const iid = (await readFile(join(dataDir, 'runtime', 'instance-id'), 'utf8').catch(() => '')).trim();
    if (iid) for (const u of await listUsers(`bw${iid}-`)) await removeSystemUser(u).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
