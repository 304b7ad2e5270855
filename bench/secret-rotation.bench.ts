/**
 * Database password rotation under load (issue 13: "rotation under a homepage load gives 0 failed
 * requests"): a real tenant (MariaDB, php-fpm, nginx, WordPress), an open-loop load on a page that
 * connects to the database on every request, first alone (the baseline), then while the password
 * is rotated `--rotations` times one after the other. Prints each phase's requests, statuses,
 * failed answers (4xx/5xx), connection errors and latency percentiles, the rotations' median duration, and the p99 ratio.
 *
 *   node --import tsx bench/secret-rotation.bench.ts [--rotations 3] [--rate 20] [--json]
 *   node --import tsx bench/secret-rotation.bench.ts --kind basic-auth [--rate 20] [--json]
 *
 * `--kind basic-auth`: the edge's basic-auth password of a SIT runtime, rotated once (grace 60 s)
 * under two loads at once (each at half the rate) — a client keeping the old password, one using
 * the platform's — then the old and the new password side by side within the window (the old one
 * costs a subrequest).
 *
 * The rate stays under the tenant's edge limit (25 r/s at desiredCount 1): a 429 would be the
 * edge's, not the switch's. Needs root and the Debian packages (`bbws setup`).
 */
import { Agent, request } from 'node:http';
import { names } from '../src/domain/naming.js';
import { runSteps, spec, startTestRuntime } from '../test/support/local-runtime-harness.js';
import { fmt, median, percentile, table } from './lib/stats.js';

interface LoadResult {
  completed: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
  /** 4xx/5xx answers: a request that failed. */
  failed: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Request i is due at start + i / rate whatever the earlier ones did, its latency measured from
 * then. Not bench/lib/open-loop.ts: PHP answers chunked, which its Content-Length reader refuses.
 */
async function paced(port: number, host: string, path: string, rate: number, seconds: number, authorization: () => string | null = () => null): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let failed = 0;
  let errors = 0;
  const start = performance.now();
  const total = Math.round(rate * seconds);
  const one = (dueAt: number) =>
    new Promise<void>((resolve) => {
      const auth = authorization();
      const req = request({ host: '127.0.0.1', port, path, agent, headers: { host, ...(auth ? { authorization: auth } : {}) } }, (res) => {
        res.resume().on('end', () => {
          latencies.push(performance.now() - dueAt);
          statuses[res.statusCode!] = (statuses[res.statusCode!] ?? 0) + 1;
          if (res.statusCode! >= 400) failed++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const dueAt = start + (i * 1000) / rate;
    await new Promise((r) => setTimeout(r, Math.max(0, dueAt - performance.now())));
    inFlight.push(one(dueAt));
  }
  await Promise.all(inFlight);
  agent.destroy();
  return { completed: latencies.length, statuses, failed, errors, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies) };
}

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const rotations = Number(arg('rotations', '3'));
const rate = Number(arg('rate', '20'));
const asJson = process.argv.includes('--json');
const TENANT = 'benchrotate';

const row = (name: string, r: LoadResult) => [name, String(r.completed), Object.entries(r.statuses).map(([k, v]) => `${k}×${v}`).join(' '), String(r.failed), String(r.errors), fmt(r.p50Ms, 1), fmt(r.p99Ms, 1), fmt(r.maxMs, 1)];
const HEADER = ['phase', 'requests', 'statuses', 'failed (4xx/5xx)', 'errors', 'p50 ms', 'p99 ms', 'max ms'];

async function basicAuthRotation(): Promise<void> {
  const t = await startTestRuntime('sit');
  try {
    await runSteps(t.runtime.provisionSteps(spec(TENANT, 'sit')));
    const creds = t.runtime.basicAuth!;
    const basic = (password: string) => `Basic ${Buffer.from(`${creds.user}:${password}`).toString('base64')}`;
    const load = (seconds: number, auth: () => string) => paced(t.edgePort, names.defaultHostname('sit', TENANT, 'localhost'), '/', rate, seconds, auth);
    // Two loads at once share the tenant's edge rate: each at half the rate, the second offset by
    // half its interval. Requests for the same page at the same instant would wait on the page
    // cache's lock (nginx looks again every 500 ms), whichever password they carry.
    const pair = async (first: () => string, second: () => string) => {
      const half = (seconds: number, auth: () => string, delayMs: number) =>
        new Promise((r) => setTimeout(r, delayMs)).then(() => paced(t.edgePort, names.defaultHostname('sit', TENANT, 'localhost'), '/', rate / 2, seconds, auth));
      return Promise.all([half(6, first, 0), half(6, second, 1000 / rate)]);
    };
    const old = creds.password;
    const baseline = await load(6, () => basic(creds.password));
    let rotationMs = 0;
    const [[keepsOld, follows]] = await Promise.all([
      pair(() => basic(old), () => basic(creds.password)),
      (async () => {
        await new Promise((r) => setTimeout(r, 2_000));
        const t0 = performance.now();
        await t.runtime.rotateEdgeBasicAuth!(60);
        rotationMs = performance.now() - t0;
      })(),
    ]);
    // Within the window: the old password (checked by the subrequest) beside the new one.
    const [graceOld, graceNew] = await pair(() => basic(old), () => basic(creds.password));
    const result = { kind: 'basic-auth', rate, rotationMs, baseline, keepsOld, follows, graceOld, graceNew };
    if (asJson) return void process.stdout.write(`${JSON.stringify(result)}\n`);
    process.stdout.write(
      `${table(HEADER, [row('baseline (current password)', baseline), row('during: keeps the old password', keepsOld), row("during: follows the platform's", follows), row('in the window: old password', graceOld), row('in the window: new password', graceNew)])}\n`,
    );
    process.stdout.write(`rotation: ${fmt(rotationMs, 1)} ms (no nginx reload)\n`);
  } finally {
    await t.cleanup();
  }
}

async function main(): Promise<void> {
  if (arg('kind', 'db') === 'basic-auth') return basicAuthRotation();
  const t = await startTestRuntime('dev');
  try {
    await runSteps(t.runtime.provisionSteps(spec(TENANT)));
    // `/` of a tenant not installed yet asks the database on every request (is WordPress installed?),
    // then answers 302 to install.php; a wrong password is a 500 "Error establishing a database connection".
    const load = (seconds: number) => paced(t.edgePort, names.defaultHostname('dev', TENANT, 'localhost'), '/', rate, seconds);
    // One rotation waits ~3 s for the opcode cache; the load covers all of them and a little after.
    const seconds = rotations * 4 + 2;
    const baseline = await load(seconds);
    const durations: number[] = [];
    const [during] = await Promise.all([
      load(seconds),
      (async () => {
        for (let i = 0; i < rotations; i++) {
          const t0 = performance.now();
          await t.runtime.rotateDatabasePassword!(TENANT);
          durations.push(performance.now() - t0);
        }
      })(),
    ]);
    const result = { rotations, rate, rotationMsMedian: median(durations), rotationMs: durations, baseline, during, p99Ratio: during.p99Ms / baseline.p99Ms };
    if (asJson) return void process.stdout.write(`${JSON.stringify(result)}\n`);
    process.stdout.write(`${table(HEADER, [row('baseline (no rotation)', baseline), row(`during ${rotations} rotations`, during)])}\n`);
    process.stdout.write(`rotation: median ${fmt(median(durations))} ms (${durations.map((d) => fmt(d)).join(', ')}); p99 during / baseline: ${fmt(result.p99Ratio, 2)}\n`);
  } finally {
    await t.cleanup();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
