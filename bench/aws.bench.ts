/**
 * The AWS adapters on the emulators beside SQLite, in one run (issue 16):
 * a. DynamoDB calls and latency per API request: `POST /v1.0/tenants` and `GET /v1.0/tenants/{id}`
 *    through the real HTTP API of a platform on DynamoDB Local + fauxqs, then on SQLite (targets:
 *    ≤ 1 read per GET, 1 transaction per POST).
 * b. ECS events/s through `handleEcsEvent`, and queue messages/s (send, receive, delete in batches
 *    of 10), on each backend.
 *
 *   node --import tsx bench/aws.bench.ts [--json] [--requests 300] [--events 300] [--messages 500]
 *
 * Calls are counted over each request; the outbox relay of the api role polls DynamoDB every 200 ms
 * beside them, so a request that overlaps a poll counts its read too: the median is the request's.
 * The emulators run on this host: latency is the emulators' (DynamoDB Local is a Java process),
 * not AWS's; the call counts are what AWS would bill.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTokenAuthority, loadOrCreateSigningKey } from '../src/adapters/auth/jwt.js';
import { EMULATOR_CREDENTIALS, startDynamoDbLocal, startFauxqsEmulator } from '../src/adapters/aws/emulators.js';
import { handleEcsEvent } from '../src/app/handle-ecs-event.js';
import { parseConfig } from '../src/main/config.js';
import { createLogger } from '../src/main/logger.js';
import { startPlatform, type RunningPlatform } from '../src/main/platform.js';
import { parseStateSettings } from '../src/main/state-settings.js';
import { ecsEvent } from '../test/support/scripted-runtime.js';
import { fmt, median, summarize, table } from './lib/stats.js';

const { values: args } = parseArgs({ options: { json: { type: 'boolean', default: false }, requests: { type: 'string', default: '300' }, events: { type: 'string', default: '300' }, messages: { type: 'string', default: '500' } } });
const log = (m: string) => process.stderr.write(`${m}\n`);

interface Backend {
  name: string;
  platform: RunningPlatform;
  token: string;
  calls: () => Record<string, number>;
  cleanup: () => Promise<void>;
}

async function open(name: 'sqlite' | 'dynamodb', env: Record<string, string>): Promise<Backend> {
  const dataDir = mkdtempSync(join(tmpdir(), `bbws-aws-bench-${name}-`));
  const config = parseConfig({ dataDir, apiPort: 0, edgePort: 0 }, { BBWS_RATE_LIMIT: '0', ...env });
  const state = name === 'dynamodb' ? parseStateSettings({}, config.env, env) : undefined;
  const platform = await startPlatform({ config, roles: ['api'], state, logger: createLogger({ level: 'warn', dataDir, stdout: false }) });
  const token = await createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key'))).sign({ role: 'platform-admin' }, 3600);
  const store = platform.deps.store as unknown as { calls?: Record<string, number> };
  return { name, platform, token, calls: () => ({ ...(store.calls ?? {}) }), cleanup: async () => (await platform.stop(), rmSync(dataDir, { recursive: true, force: true })) };
}

async function timed(b: Backend, method: string, path: string, body?: unknown): Promise<number> {
  const s = performance.now();
  const res = await fetch(b.platform.apiUrl + path, { method, headers: { authorization: `Bearer ${b.token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  await res.arrayBuffer();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status}`);
  return performance.now() - s;
}

const delta = (after: Record<string, number>, before: Record<string, number>, names: string[]) => names.reduce((n, k) => n + (after[k] ?? 0) - (before[k] ?? 0), 0);
const READS = ['GetCommand', 'QueryCommand', 'BatchGetCommand', 'ScanCommand'];
const WRITES = ['TransactWriteCommand', 'PutCommand', 'UpdateCommand', 'DeleteCommand', 'BatchWriteCommand'];

async function measure(b: Backend) {
  const n = Number(args.requests);
  const post: number[] = [];
  const before = b.calls();
  let txBefore = before;
  const txPerPost: number[] = [];
  for (let i = 0; i < n; i++) {
    txBefore = b.calls();
    post.push(await timed(b, 'POST', '/v1.0/tenants', { tenantName: `t${i}x${randomUUID().slice(0, 6)}` }));
    txPerPost.push(delta(b.calls(), txBefore, ['TransactWriteCommand']));
  }
  const names = (await (await fetch(`${b.platform.apiUrl}/v1.0/tenants?limit=1`, { headers: { authorization: `Bearer ${b.token}` } })).json()) as { items: { tenantId: string }[] };
  const id = names.items[0]!.tenantId;
  const get: number[] = [];
  const readsPerGet: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = b.calls();
    get.push(await timed(b, 'GET', `/v1.0/tenants/${id}`));
    readsPerGet.push(delta(b.calls(), c0, READS));
  }
  // b. events and queue messages per second.
  const events = Number(args.events);
  const t0 = Date.now() - 60 * 60_000;
  let s = performance.now();
  for (let i = 0; i < events; i++) await handleEcsEvent(b.platform.deps, ecsEvent('dev', id, i % 2 ? 'SERVICE_STEADY_STATE' : 'SERVICE_TASK_START_IMPAIRED', {}, new Date(t0 + i * 1000)));
  const eventsPerSecond = events / ((performance.now() - s) / 1000);
  const q = b.platform.deps.queue;
  const queue = b.platform.deps.queues.ecsEvents;
  const messages = Number(args.messages);
  s = performance.now();
  for (let i = 0; i < messages; i++) await q.send({ queue, body: JSON.stringify({ i }) });
  let got = 0;
  while (got < messages) {
    const batch = await q.receive(queue, { maxMessages: 10 });
    for (const m of batch) await q.delete(queue, m.receiptHandle);
    got += batch.length;
    if (batch.length === 0) break;
  }
  const messagesPerSecond = got / ((performance.now() - s) / 1000);
  return { post: summarize(post), get: summarize(get), txPerPost: median(txPerPost), readsPerGet: median(readsPerGet), readsPerGetMax: Math.max(...readsPerGet), writesTotal: delta(b.calls(), before, WRITES), eventsPerSecond, messagesPerSecond, delivered: got };
}

const ddb = await startDynamoDbLocal();
const sqs = await startFauxqsEmulator();
const env = { BBWS_STATE: 'dynamodb', BBWS_QUEUES: 'sqs', BBWS_DYNAMODB_ENDPOINT: ddb.endpoint, BBWS_SQS_ENDPOINT: sqs.endpoint, BBWS_SNS_ENDPOINT: sqs.endpoint, BBWS_TABLE_NAME: `bbws-bench-${randomUUID()}`, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey };
for (const [k, v] of Object.entries(env)) if (k.startsWith('AWS_')) process.env[k] = v;
const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
try {
  for (const name of ['dynamodb', 'sqlite'] as const) {
    log(`${name}: ${args.requests} POST + ${args.requests} GET, ${args.events} events, ${args.messages} messages…`);
    const b = await open(name, name === 'dynamodb' ? env : {});
    try {
      results[name] = await measure(b);
    } finally {
      await b.cleanup();
    }
  }
} finally {
  await sqs.stop();
  await ddb.stop();
}
if (args.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
else {
  const d = results.dynamodb!;
  const l = results.sqlite!;
  const row = (label: string, f: (r: typeof d) => string) => [label, f(d), f(l)];
  process.stdout.write(
    `${table(['', 'DynamoDB Local + fauxqs', 'SQLite'], [
      row('POST /v1.0/tenants p50 / p99 ms', (r) => `${fmt(r.post.p50, 1)} / ${fmt(r.post.p99, 1)}`),
      row('GET /v1.0/tenants/{id} p50 / p99 ms', (r) => `${fmt(r.get.p50, 1)} / ${fmt(r.get.p99, 1)}`),
      row('DynamoDB transactions per POST (median)', (r) => (r === l ? '-' : String(r.txPerPost))),
      row('DynamoDB reads per GET (median; max)', (r) => (r === l ? '-' : `${r.readsPerGet}; ${r.readsPerGetMax}`)),
      row('ECS events/s (handleEcsEvent)', (r) => fmt(r.eventsPerSecond)),
      row('queue messages/s (send + receive + delete)', (r) => fmt(r.messagesPerSecond)),
    ])}\n\ntargets: ≤ 1 read per GET: ${d.readsPerGet <= 1 ? 'met' : 'MISSED'} (${d.readsPerGet}); 1 transaction per POST: ${d.txPerPost === 1 ? 'met' : 'MISSED'} (${d.txPerPost})\n`,
  );
}
