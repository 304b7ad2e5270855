/**
 * HTTPS at the edge on the local runtime (real MariaDB, php-fpm, nginx, WordPress), with a real
 * ACME CA: Pebble on loopback, names resolved by dnsmasq on loopback, HTTP-01 answered by the edge.
 *
 * a. Certificate issuance for a new tenant: `--tenants` tenants provisioned one after the other;
 *    per tenant, provisioning start → ACTIVE (the saga's steps done), and → its certificate valid
 *    (`certificates.list()`), and the ACME exchange alone (the TLS_ISSUED log line's durationMs).
 *    Target: issuance ≤ 2 s, without holding back ACTIVE.
 * b. Cached homepage at concurrency 32 (autocannon, its own process, keep-alive), in one run and
 *    alternating: over HTTP and over HTTPS (TLS 1.3, the edge's certificate by SNI). Target: HTTPS
 *    ≥ 90 % of HTTP. For the HTTP rounds the host's certificate file is moved aside, so the edge
 *    serves it as it serves a host whose certificate is not issued yet (same nginx config, no
 *    redirect); it is put back for the HTTPS rounds (nginx reads it at each handshake, no reload).
 *
 *   node --import tsx bench/tls.bench.ts [--json] [--concurrency 32] [--duration 10] [--rounds 2] [--tenants 3]
 *
 * Needs root, the Debian packages (`bbws setup`) and pebble + dnsmasq-base. Everything it starts
 * is stopped by PID and removed at the end.
 */
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../src/adapters/runtime/local/mariadb.js';
import { createLocalSecrets } from '../src/adapters/secrets/local.js';
import { createLocalWordPress } from '../src/adapters/wordpress/local/local-wordpress.js';
import type { SiteRef } from '../src/ports/wordpress.js';
import { freeUdpPort, startDnsmasq } from '../test/support/dnsmasq.js';
import { edgeGet } from '../test/support/https-get.js';
import { startPebble } from '../test/support/pebble.js';
import { pollUntil } from '../test/support/poll.js';
import { runSteps, silentLogger, spec, startTestRuntime } from '../test/support/local-runtime-harness.js';
import { loadEdge, type Load } from './lib/edge-load.js';
import { fmt, median, summarize, table } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '32' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    tenants: { type: 'string', default: '3' },
  },
});
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const TARGET = { httpsVsHttp: 0.9, issuanceMs: 2_000 };
const DOMAIN = 'bbws-bench.net';

/**
 * Figures of anything but cache hits would not be "cached": GETs (each waiting for its answer, so a
 * slow first render on a loaded host is stored) until the homepage is a 200 HIT, else refuse.
 */
async function warmUntilHit(what: string, get: () => Promise<{ status: number; headers: Record<string, unknown> }>): Promise<void> {
  let answer = '';
  for (let i = 0; i < 10; i++) {
    const r = await get();
    answer = `${r.status} ${String(r.headers['x-cache'])}`;
    if (answer === '200 HIT') return;
  }
  throw new Error(`${what}: the homepage answered ${answer}, not 200 HIT`);
}

async function main(): Promise<void> {
  const c = Number(args.concurrency);
  const seconds = Number(args.duration);
  const dns = await startDnsmasq(await freeUdpPort(), {}, { [DOMAIN]: '127.0.0.1' });
  const edgePort = await freePort();
  const httpsPort = await freePort();
  const pebble = await startPebble({ httpPort: edgePort, dnsServer: dns.server }).catch(async (e) => {
    await dns.stop();
    throw e;
  });
  const t = await startTestRuntime('dev', { tlsSweepIntervalMs: 3_600_000 }, { edgePort, baseDomain: DOMAIN, tls: { mode: 'auto', httpsPort, acmeDirectory: pebble.directoryUrl, acmeEmail: null, acmeCaFile: pebble.caFile } }).catch(async (e) => {
    await pebble.stop();
    await dns.stop();
    throw e;
  });
  const stop = async () => {
    await t.cleanup();
    await pebble.stop();
    await dns.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  const certs = t.runtime.certificates!;
  const validAt = async (name: string) => {
    await pollUntil(`certificate of ${name}`, async () => (await certs.list()).some((i) => i.name === name && i.status === 'valid'), 30_000, 10);
    return performance.now();
  };
  try {
    // a. Issuance per new tenant.
    const issuance: { tenant: string; activeMs: number; validMs: number; acmeMs: number }[] = [];
    for (let i = 0; i < Number(args.tenants); i++) {
      const tenant = `tlsbench${i}`;
      const host = `${tenant}.wpdev.${DOMAIN}`;
      const started = performance.now();
      // The edge's per-tenant limits would cap the load at 50 r/s: the first tenant gets the top tiers.
      await runSteps(t.runtime.provisionSteps({ ...spec(tenant), ...(i === 0 ? { limits: { requestsPerSecond: 20000, connections: 1000 } } : {}) }));
      const active = performance.now();
      const valid = await validAt(host);
      const acmeMs = Number(t.logs.find((l) => l.action === 'TLS_ISSUED' && l.hostname === host)?.durationMs ?? NaN);
      issuance.push({ tenant, activeMs: active - started, validMs: valid - started, acmeMs });
      log(`${tenant}: ACTIVE after ${fmt(active - started)} ms, certificate valid after ${fmt(valid - started)} ms (ACME exchange ${fmt(acmeMs)} ms)`);
    }

    // b. Cached homepage, HTTP and HTTPS.
    const site: SiteRef = { tenantId: 'tlsbench0', siteId: 'tlsbnch001', hostnames: [`home.tlsbench0.wpdev.${DOMAIN}`] };
    const host = site.hostnames[0]!;
    const wp = createLocalWordPress({ runtime: t.runtime, secrets: createLocalSecrets({ dir: join(t.dataDir, 'secrets') }), config: t.runtime.config, logger: silentLogger() });
    await wp.routeSite({ ...site, cache: { enabled: true, ttlSeconds: 600 } });
    await wp.installSite(site, { title: 'Bench TLS', adminUser: 'owner', adminEmail: 'owner@example.com', adminPassword: 'correct-horse-battery-1' });
    await validAt(host);
    await wp.close();
    const certFile = join(t.runtime.layout.edgeTls, `${host}.pem`);
    const aside = `${certFile}.bench-aside`;
    await new Promise((r) => setTimeout(r, 2_200)); // the install's purge second pass (page-cache.ts)
    const runs: Record<'http' | 'https', Load[]> = { http: [], https: [] };
    const serverPid = t.runtime.edge.supervised.status().pid;
    if (!serverPid) throw new Error('the edge is not running');
    for (let round = 0; round < Number(args.rounds); round++) {
      await rename(certFile, aside);
      await warmUntilHit('HTTP', () => edgeGet({ port: edgePort, host, https: false }));
      runs.http.push(await loadEdge({ port: edgePort, host, path: '/', connections: c, seconds, serverPid }));
      await rename(aside, certFile);
      await warmUntilHit('HTTPS', () => edgeGet({ port: httpsPort, host }));
      runs.https.push(await loadEdge({ port: httpsPort, host, path: '/', connections: c, seconds, https: true, serverPid }));
      const [h, s] = [runs.http.at(-1)!, runs.https.at(-1)!];
      log(`round ${round + 1}: HTTP cached ${fmt(h.rps)} req/s (nginx ${fmt(h.serverCpuUsPerReq!)} µs, client ${fmt(h.clientCpuUsPerReq!)} µs CPU per request), HTTPS cached ${fmt(s.rps)} req/s (nginx ${fmt(s.serverCpuUsPerReq!)} µs, client ${fmt(s.clientCpuUsPerReq!)} µs)`);
    }
    const med = (k: keyof typeof runs) => ({ rps: median(runs[k].map((r) => r.rps)), p99: median(runs[k].map((r) => r.p99)), non2xx: runs[k].reduce((n, r) => n + r.non2xx, 0), serverCpuUsPerReq: median(runs[k].map((r) => r.serverCpuUsPerReq!)), clientCpuUsPerReq: median(runs[k].map((r) => r.clientCpuUsPerReq!)) });
    const load = { http: med('http'), https: med('https') };
    // Server capacity: requests per CPU-second of nginx, HTTPS against HTTP (independent of the client's share of the cores).
    const ratio = { httpsVsHttp: load.https.rps / load.http.rps, serverCapacity: load.http.serverCpuUsPerReq / load.https.serverCpuUsPerReq };
    const summary = {
      activeMs: summarize(issuance.map((i) => i.activeMs)),
      certificateValidMs: summarize(issuance.map((i) => i.validMs)),
      acmeExchangeMs: summarize(issuance.map((i) => i.acmeMs)),
    };
    const result = { concurrency: c, seconds, rounds: Number(args.rounds), issuance, summary, load, ratio, targets: TARGET };
    if (args.json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${table(['cached homepage, c=' + c, 'req/s (median)', 'p99 ms', 'non-2xx', 'nginx CPU µs/req', 'client CPU µs/req'], (['http', 'https'] as const).map((k) => [k, fmt(load[k].rps), fmt(load[k].p99, 1), String(load[k].non2xx), fmt(load[k].serverCpuUsPerReq), fmt(load[k].clientCpuUsPerReq)]))}\n\n`);
    process.stdout.write(`HTTPS / HTTP = ${fmt(ratio.httpsVsHttp * 100, 1)} % of req/s (target ≥ ${TARGET.httpsVsHttp * 100} %); nginx's capacity (requests per CPU-second) over HTTPS = ${fmt(ratio.serverCapacity * 100, 1)} % of HTTP's\n`);
    process.stdout.write(`new tenant (${issuance.length}): ACTIVE p50 ${fmt(summary.activeMs.p50)} ms; certificate valid p50 ${fmt(summary.certificateValidMs.p50)} ms, max ${fmt(summary.certificateValidMs.max)} ms after provisioning started; ACME exchange p50 ${fmt(summary.acmeExchangeMs.p50)} ms, max ${fmt(summary.acmeExchangeMs.max)} ms (target ≤ ${TARGET.issuanceMs} ms)\n`);
  } finally {
    await stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
