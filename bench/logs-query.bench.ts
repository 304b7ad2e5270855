/**
 * Log query benchmark: seed 000's eight queries over ~1 GB of platform log lines, each beside
 * `jq` (Debian's) on the same file in the same run. jq does the filter and the projection; the
 * sort and limit are `sort | head`, as one would write it by hand. Target (issue 14): ≤ 5 s per
 * query for 1 GB. "ours" is the default (parts on a worker thread per core); "1 thread" the same
 * code with `workers: 1`, once per query, in the same run.
 *
 *   node --import tsx bench/logs-query.bench.ts [--mb 1024] [--rounds 3] [--jq-rounds 1] [--gzip] [--json]
 *
 * The lines are the shapes the platform writes (request lines with REPORT fields, job REPORT
 * lines, errors, site progress), 1 in 2,000 belonging to the traced correlation id, tenant and
 * site. `--gzip` also measures the same lines as rotated .jsonl.gz files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { createReadStream } from 'node:fs';
import { createJsonlLogArchive } from '../src/adapters/logs/jsonl-archive.js';
import { rotatedName } from '../src/adapters/logs/log-files.js';
import { queryLogs } from '../src/app/query-logs.js';
import { SEED_000_QUERIES } from '../test/fixtures/logs/seed-000-queries.js';
import { median } from './lib/stats.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const MB = Number(arg('mb', '1024'));
const ROUNDS = Number(arg('rounds', '3'));
const JQ_ROUNDS = Number(arg('jq-rounds', '1'));
const JSON_OUT = process.argv.includes('--json');
const GZIP = process.argv.includes('--gzip');
const TARGET_S = 5;

const START = Date.parse('2030-01-01T00:00:00.000Z');
const IDS = { '<correlation-id>': 'trace-0001', '<tenant-id>': 'acmecorp', '<site-id>': 'site-0001' };

/** jq programs for the same queries: [filter+projection, sort key for sort(1) as -k arguments, limit]. */
const JQ: Record<keyof typeof SEED_000_QUERIES, { program: string; desc: boolean; limit: number }> = {
  '3.1': { program: 'select(."@message" | test("ERROR|Exception|error")) | [."@timestamp", ."@message", ."@logStream"]', desc: true, limit: 100 },
  '3.2': { program: 'select(."@type" == "REPORT" and ."@duration" > 5000) | [."@duration", ."@timestamp", ."@message", ."@requestId"]', desc: true, limit: 50 },
  '3.3': { program: 'select(."@message" | test("Task timed out")) | [."@timestamp", ."@message", ."@requestId", ."@logStream"]', desc: true, limit: 50 },
  '3.4': { program: 'select(."@type" == "REPORT" and (."@maxMemoryUsed" / ."@memorySize") > 0.9) | [."@timestamp", ."@message", ."@memorySize", ."@maxMemoryUsed"]', desc: true, limit: 50 },
  '3.5': { program: 'select(.correlationId == "trace-0001") | [."@timestamp", ."@message", ."@logStream"]', desc: false, limit: 500 },
  '3.6': { program: 'select(.tenantId == "acmecorp") | [."@timestamp", ."@message", .tenantId, .action, .status]', desc: true, limit: 200 },
  '3.7': { program: 'select(.statusCode >= 400) | [."@timestamp", ."@message", .statusCode, .errorCode]', desc: true, limit: 100 },
  '3.8': { program: 'select(.siteId == "site-0001") | [."@timestamp", ."@message", .siteId, .status]', desc: false, limit: 200 },
};

function lineAt(i: number): string {
  const ts = new Date(START + i * 7).toISOString();
  const traced = i % 2000 < 10; // one line of each kind in 2,000
  const tenantId = traced ? 'acmecorp' : `tenant${i % 997}`;
  const correlationId = traced ? 'trace-0001' : `c${i.toString(36)}-${(i * 2654435761) % 1e9}`;
  const base = { level: 'INFO', '@timestamp': ts, role: 'api+worker+events+reconciler+alarms', pid: 4242, '@logStream': '2030/01/01/[api+worker]4242' };
  if (i % 100_003 === 5) return JSON.stringify({ ...base, level: 'ERROR', action: 'OPERATION_TIMEOUT', '@requestId': `op-${i}`, correlationId, tenantId, status: 'FAILED', errorCode: 'DEADLINE_EXCEEDED', '@message': `ERROR Task timed out after 900 seconds (operation op-${i}, CREATE_SITE)` });
  switch (i % 10) {
    case 9: return JSON.stringify({ ...base, level: 'ERROR', correlationId, tenantId, action: 'CREATE_SITE', status: 'FAILED', siteId: traced ? 'site-0001' : `s${i % 5000}`, err: 'mysql: Lost connection to server during query', '@message': 'ERROR step install-wordpress failed; retrying with backoff' });
    case 8: return JSON.stringify({ ...base, queue: 'bbws-wp-site-creation-dev', status: 'ok', '@type': 'REPORT', '@requestId': correlationId, '@duration': (i % 97) * 80, '@memorySize': 512, '@maxMemoryUsed': 300 + (i % 230), '@message': `REPORT RequestId: ${correlationId} Duration: ${((i % 97) * 80).toFixed(2)} ms` });
    case 7: return JSON.stringify({ ...base, action: 'SITE_PROGRESS', tenantId, siteId: traced ? 'site-0001' : `s${i % 5000}`, status: 'PROVISIONING', correlationId, '@message': 'site creation step done: apply-template' });
    default: {
      const statusCode = i % 53 === 0 ? 500 : i % 17 === 0 ? 404 : 200;
      return JSON.stringify({ ...base, correlationId, tenantId, action: 'GET /v1.0/tenants/:tenantId/sites', status: statusCode < 400 ? 'OK' : 'ERROR', statusCode, errorCode: statusCode === 404 ? 'SITE_NOT_FOUND' : statusCode === 500 ? 'INTERNAL_ERROR' : undefined, '@type': 'REPORT', '@requestId': correlationId, '@duration': (i % 211) * 31, '@memorySize': 512, '@maxMemoryUsed': 200 + (i % 290), '@message': `GET /v1.0/tenants/${tenantId}/sites ${statusCode} REPORT RequestId: ${correlationId} Duration: ${((i % 211) * 31).toFixed(2)} ms` });
    }
  }
}

async function writeLog(file: string, bytes: number): Promise<{ lines: number; lastTs: number }> {
  const out = createWriteStream(file, { mode: 0o600 });
  let written = 0;
  let i = 0;
  while (written < bytes) {
    const chunk: string[] = [];
    for (let k = 0; k < 5000; k++, i++) chunk.push(lineAt(i));
    const text = chunk.join('\n') + '\n';
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { lines: i, lastTs: START + i * 7 };
}

function runJq(file: string, spec: (typeof JQ)[keyof typeof JQ]): { seconds: number; rows: number } {
  const sortFlags = spec.desc ? '-r' : '';
  const started = performance.now();
  const r = spawnSync('bash', ['-c', `jq -c '${spec.program}' "$1" | sort ${sortFlags} | head -n ${spec.limit}`, 'jq-bench', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`jq failed: ${r.stderr}`);
  return { seconds: (performance.now() - started) / 1000, rows: r.stdout.split('\n').filter(Boolean).length };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-logs-bench-'));
  try {
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const file = join(logs, 'bbws.jsonl');
    const { lines, lastTs } = await writeLog(file, MB * 2 ** 20);
    const size = statSync(file).size;
    const now = () => lastTs + 1000;
    const range = { since: new Date(START - 1000).toISOString(), until: new Date(lastTs + 1000).toISOString() };
    const results = [];
    process.stderr.write(`load average at the start: ${loadavg().map((l) => l.toFixed(2)).join(" ")}\n`);
    for (const [id, { query }] of Object.entries(SEED_000_QUERIES) as [keyof typeof SEED_000_QUERIES, { query: string }][]) {
      let q = query;
      for (const [k, v] of Object.entries(IDS)) q = q.replace(k, v);
      const ours: number[] = [];
      let rows = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const started = performance.now();
        const answer = await queryLogs({ logs: createJsonlLogArchive({ dir: logs }), now }, { query: q, ...range });
        ours.push((performance.now() - started) / 1000);
        rows = answer.rows.length;
      }
      const oneThreadStarted = performance.now();
      const oneThread = await queryLogs({ logs: createJsonlLogArchive({ dir: logs, workers: 1 }), now }, { query: q, ...range });
      const oneThreadS = (performance.now() - oneThreadStarted) / 1000;
      if (oneThread.rows.length !== rows) throw new Error(`${id}: ${rows} rows with worker threads, ${oneThread.rows.length} in one thread`);
      const jq: number[] = [];
      let jqRows = 0;
      for (let r = 0; r < JQ_ROUNDS; r++) {
        const j = runJq(file, JQ[id]);
        jq.push(j.seconds);
        jqRows = j.rows;
      }
      const row = { query: id, title: SEED_000_QUERIES[id].title, rows, jqRows, oursMedianS: median(ours), oneThreadS, jqMedianS: median(jq), speedupVsJq: median(jq) / median(ours), withinTarget: median(ours) <= TARGET_S };
      results.push(row);
      if (!JSON_OUT) process.stderr.write(`${id} (load ${loadavg()[0].toFixed(1)}) ${row.title}: ours ${row.oursMedianS.toFixed(2)} s (${rows} rows), 1 thread ${oneThreadS.toFixed(2)} s, jq ${row.jqMedianS.toFixed(2)} s (${jqRows} rows), ${row.speedupVsJq.toFixed(1)}× faster\n`);
    }
    let gzip: { files: number; compressedMb: number; query: string; oursMedianS: number } | null = null;
    if (GZIP) {
      // The same lines as four rotated, compressed files.
      const gzDir = join(dir, 'gz');
      mkdirSync(gzDir);
      const target = join(gzDir, `${rotatedName(new Date(START).toISOString(), new Date(lastTs).toISOString(), 0)}.gz`);
      await pipeline(createReadStream(file), createGzip({ level: 6 }), createWriteStream(target));
      const times: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const started = performance.now();
        await queryLogs({ logs: createJsonlLogArchive({ dir: gzDir }), now }, { query: SEED_000_QUERIES['3.7'].query, ...range });
        times.push((performance.now() - started) / 1000);
      }
      gzip = { files: 1, compressedMb: statSync(target).size / 2 ** 20, query: '3.7', oursMedianS: median(times) };
    }
    const jqVersion = execFileSync('jq', ['--version'], { encoding: 'utf8' }).trim();
    const report = { mb: size / 2 ** 20, lines, rounds: ROUNDS, jqRounds: JQ_ROUNDS, jq: jqVersion, node: process.version, cpus: cpus().length, targetSeconds: TARGET_S, results, gzip };
    if (JSON_OUT) return void process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`\n${report.mb.toFixed(0)} MiB, ${lines} lines, ${jqVersion}, node ${process.version}, ${report.cpus} CPUs\n`);
    process.stdout.write(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    process.stdout.write('query  ours(s)  1 thread(s)  jq(s)  ×jq   ≤5s  rows\n');
    for (const r of results) process.stdout.write(`${r.query.padEnd(5)}  ${r.oursMedianS.toFixed(2).padStart(7)}  ${r.oneThreadS.toFixed(2).padStart(11)}  ${r.jqMedianS.toFixed(2).padStart(5)}  ${r.speedupVsJq.toFixed(1).padStart(4)}  ${r.withinTarget ? 'yes' : 'NO '}  ${r.rows}/${r.jqRows}\n`);
    if (gzip) process.stdout.write(`gzip: ${gzip.compressedMb.toFixed(0)} MiB compressed, query ${gzip.query}: ${gzip.oursMedianS.toFixed(2)} s\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
