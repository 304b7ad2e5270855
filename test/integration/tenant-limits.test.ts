/**
 * Per-tenant limits against the whole local platform (real php-fpm, MariaDB, nginx, WordPress):
 * `bbws tenants limits` changes them through the saga, the tenant's pool and database user get
 * them, an upload over the limit is a 413 with the reason, a query over the time limit is aborted,
 * connections over MAX_USER_CONNECTIONS are refused, bad values are a 400 that changes nothing, and
 * a rollback puts the previous limits back. The edge's 413s, 507s and 429s are counted per tenant
 * and limit (bbws_edge_limit_responses_total), logged, and raise their alarms (the evaluator runs).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { runtimeRootOf } from '../../src/adapters/runtime/local/layout.js';
import type { LocalRuntime } from '../../src/adapters/runtime/local/local-runtime.js';
import { bbws } from '../support/cli-process.js';
import { edgeClient } from '../support/edge-client.js';
import { type LocalPlatform, startLocalPlatform } from '../support/platform-local-harness.js';

const TENANT = 'limited';
const host = `${TENANT}.wpdev.localhost`;

describe('per-tenant limits', () => {
  let p: LocalPlatform;
  const instance = async () => (await p.api('GET', `/v1.0/tenants/${TENANT}/instance`)).body;
  const poolConf = async () => readFile(join(runtimeRootOf(p.dataDir), 'php-fpm', 'pools', `dev-${TENANT}-service.json`), 'utf8').then((t) => JSON.parse(t));
  const credentials = async () => JSON.parse((await createLocalSecrets({ dir: join(p.dataDir, 'secrets') }).get(`dev-${TENANT}-db-credentials`))!);
  const connect = async () => {
    const c = await credentials();
    return createConnection({ host: c.host, port: c.port, user: c.username, password: c.password, database: c.dbname });
  };

  const alarm = async (name: string) => (await p.api('GET', '/v1.0/alarms')).body.items.find((a: { name: string }) => a.name === name);
  const limitResponses = async (limit: string) => {
    const text = await (await fetch(`${p.platform.apiUrl}/metrics`)).text();
    const series = text.split('\n').filter((l) => l.startsWith('bbws_edge_limit_responses_total{') && l.includes(`tenant="${TENANT}"`) && l.includes(`limit="${limit}"`));
    return series.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };

  beforeAll(async () => {
    p = await startLocalPlatform({}, { alarmIntervalMs: 1000 });
    const created = await p.api('POST', '/v1.0/tenants', { tenantName: TENANT });
    expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
  }, 60_000);

  it('a new tenant has the defaults of its resources, shown by tenants get and tenants limits', async () => {
    expect((await instance()).limits).toEqual({ phpWorkers: 4, memoryLimitMb: 256, uploadMaxMb: 64, dbConnections: 9, dbQueryTimeSeconds: 30, requestsPerSecond: 50, connections: 20, diskQuotaMb: 10240 });
    const shown = await bbws('tenants', 'get', TENANT, '--data-dir', p.dataDir);
    expect(shown.stdout).toMatch(/limits\s+phpWorkers=4 memoryLimitMb=256 uploadMaxMb=64 dbConnections=9 dbQueryTimeSeconds=30 requestsPerSecond=50 connections=20 diskQuotaMb=10240/);
    expect(await poolConf()).toMatchObject({ maxChildren: 4, memoryLimitMb: 256, uploadMaxMb: 64 });
  });

  it('bbws tenants limits changes them through the saga; the pool and the database user get them', async () => {
    const r = await bbws('tenants', 'limits', TENANT, '--php-workers', '2', '--memory-limit', '96', '--upload-max', '1', '--db-connections', '3', '--db-query-time', '1', '--wait', '--json', '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.operation.status).toBe('SUCCEEDED');
    expect(out.limits).toEqual({ phpWorkers: 2, memoryLimitMb: 96, uploadMaxMb: 1, dbConnections: 3, dbQueryTimeSeconds: 1, requestsPerSecond: 50, connections: 20, diskQuotaMb: 10240 });
    expect(await poolConf()).toMatchObject({ maxChildren: 2, memoryLimitMb: 96, uploadMaxMb: 1 });
    expect((await instance()).provisioningState).toBe('ACTIVE');
  }, 120_000);

  it('an upload over the limit is a 413 that says why', async () => {
    const client = edgeClient(p.edgePort, host);
    const big = await client.request('POST', '/wp-login.php', { headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(2 * 1024 * 1024, 1) });
    expect(big.status).toBe(413);
    expect(big.text).toMatch(/Request body too large: this site accepts uploads up to 1MB \(the uploadMaxMb limit/);
    const small = await client.request('POST', '/wp-login.php', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'log=x&pwd=y' });
    expect(small.status).not.toBe(413);
    // Counted for the tenant, logged once per tenant and limit, and the alarm fires.
    await p.waitFor('the 413 counted', async () => (await limitResponses('uploadMaxMb')) >= 1, 15_000);
    await p.waitFor('bbws-wp-tenant-request-too-large in ALARM', async () => (await alarm('bbws-wp-tenant-request-too-large')).state === 'ALARM', 15_000);
    expect((await alarm('bbws-wp-tenant-rate-limited')).state).not.toBe('ALARM');
    const logged = (await readFile(join(p.dataDir, 'logs', 'bbws.jsonl'), 'utf8')).split('\n').filter((l) => l.includes('"TENANT_LIMITED"')).map((l) => JSON.parse(l));
    expect(logged).toContainEqual(expect.objectContaining({ level: 'WARN', tenantId: TENANT, limit: 'uploadMaxMb', responseStatus: 413, count: 1 }));
  });

  it('over its disk quota a tenant gets 507 to uploads, not to small requests, until it is under it again', async () => {
    const r = await bbws('tenants', 'limits', TENANT, '--disk-quota', '100', '--wait', '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect((await instance()).limits.diskQuotaMb).toBe(100);
    const runtime = p.platform.runtime as LocalRuntime;
    const filler = join(runtime.tenantPaths(TENANT).content, 'uploads', 'filler.bin');
    const client = edgeClient(p.edgePort, host);
    const upload = () => client.request('POST', '/wp-login.php', { headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(300 * 1024, 1) });
    expect((await runtime.checkDiskQuotasNow()).find((q) => q.tenantId === TENANT)).toMatchObject({ over: false, quotaBytes: 100 * 2 ** 20 });
    expect((await upload()).status).not.toBe(507);
    // A backup verify's copy of the tenant's files in its tree (adapters/backup/scratch-serve.ts) is the platform's: not counted.
    const copies = join(runtime.tenantPaths(TENANT).dir, 'verify');
    mkdirSync(join(copies, 'abcdefghijkl'), { recursive: true });
    try {
      execFileSync('fallocate', ['-l', '101M', join(copies, 'abcdefghijkl', 'copy.bin')]);
      expect((await runtime.checkDiskQuotasNow()).find((q) => q.tenantId === TENANT)?.over).toBe(false);
    } finally {
      rmSync(copies, { recursive: true, force: true });
    }
    try {
      execFileSync('fallocate', ['-l', '101M', filler]);
      expect((await runtime.checkDiskQuotasNow()).find((q) => q.tenantId === TENANT)?.over).toBe(true);
      const refused = await upload();
      expect(refused.status).toBe(507);
      expect(refused.text).toMatch(/Insufficient storage: this site's files are over its tenant's disk quota/);
      const small = await client.request('POST', '/wp-login.php', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'log=x&pwd=y' });
      expect(small.status).not.toBe(507);
      const logged = await p.waitFor('the over-quota log line', async () => (await readFile(join(p.dataDir, 'logs', 'bbws.jsonl'), 'utf8')).includes('"action":"TENANT_OVER_QUOTA"') || undefined);
      expect(logged).toBe(true);
      await p.waitFor('the 507 counted', async () => (await limitResponses('diskQuotaMb')) >= 1, 15_000);
      await p.waitFor('bbws-wp-tenant-over-disk-quota in ALARM', async () => (await alarm('bbws-wp-tenant-over-disk-quota')).state === 'ALARM', 15_000);
    } finally {
      rmSync(filler, { force: true });
    }
    expect((await runtime.checkDiskQuotasNow()).find((q) => q.tenantId === TENANT)?.over).toBe(false);
    expect((await upload()).status).not.toBe(507);
  }, 120_000);

  it('a query over the time limit is aborted; connections over the limit are refused', async () => {
    const failure = (p: Promise<unknown>) => p.then(() => 'no error', (e: Error) => String(e.message));
    const c = await connect();
    try {
      const started = Date.now();
      expect(await failure(c.query('SELECT SLEEP(5)'))).toMatch(/max_statement_time exceeded/);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      await c.end();
    }
    const open = [await connect(), await connect(), await connect()];
    try {
      expect(await failure(connect())).toMatch(/max_user_connections/);
    } finally {
      for (const o of open) await o.end();
    }
  });

  it('over its edge request rate a tenant gets 429 with the reason; a neighbour is not limited', async () => {
    const r = await bbws('tenants', 'limits', TENANT, '--requests-per-second', '5', '--wait', '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    const neighbour = 'roomy';
    const created = await p.api('POST', '/v1.0/tenants', { tenantName: neighbour });
    expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    const burst = async (h: string) => Promise.all(Array.from({ length: 40 }, () => edgeClient(p.edgePort, h).get('/wp-includes/css/dashicons.min.css')));
    const mine = await p.waitFor('429s after the reload', async () => {
      const answers = await burst(host);
      return answers.some((a) => a.status === 429) ? answers : undefined;
    });
    const limited = mine.find((a) => a.status === 429)!;
    expect(limited.text).toMatch(/Too many requests: this site's tenant is over its edge limit/);
    expect(limited.headers['retry-after']).toBe('1');
    expect(mine.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(10);
    const theirs = await burst(`${neighbour}.wpdev.localhost`);
    expect(theirs.every((a) => a.status === 200)).toBe(true);
    // Counted for this tenant only (not the neighbour), and the alarm fires.
    await p.waitFor('the 429s counted', async () => (await limitResponses('requestsPerSecond')) >= mine.filter((a) => a.status === 429).length, 15_000);
    await p.waitFor('bbws-wp-tenant-rate-limited in ALARM', async () => (await alarm('bbws-wp-tenant-rate-limited')).state === 'ALARM', 15_000);
    const metrics = await (await fetch(`${p.platform.apiUrl}/metrics`)).text();
    expect(metrics).not.toMatch(new RegExp(`bbws_edge_limit_responses_total\\{[^}]*tenant="${neighbour}"`));
    const back = await bbws('tenants', 'limits', TENANT, '--reset', 'requestsPerSecond', '--wait', '--data-dir', p.dataDir);
    expect(back.code, back.stderr).toBe(0);
    await p.waitFor('no 429 after the reset', async () => ((await burst(host)).every((a) => a.status === 200) ? true : undefined));
  }, 180_000);

  it('bad limits are a 400 naming the field, and change nothing', async () => {
    const before = await instance();
    for (const [limits, field] of [[{ phpWorkers: 0 }, 'limits.phpWorkers'], [{ uploadMaxMb: 100000 }, 'limits.uploadMaxMb'], [{ cpu: 1 }, 'limits.cpu'], [{ dbConnections: 'many' }, 'limits.dbConnections'], [{ requestsPerSecond: 7 }, 'limits.requestsPerSecond'], [[], 'limits']] as const) {
      const r = await p.api('PATCH', `/v1.0/tenants/${TENANT}/instance`, { limits });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field } });
    }
    const cli = await bbws('tenants', 'limits', TENANT, '--php-workers', 'lots', '--data-dir', p.dataDir);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/--php-workers wants a whole number/);
    const after = await instance();
    expect(after.version).toBe(before.version);
    expect(after.limits).toEqual(before.limits);
  });

  it('a rollback puts the previous limits back; --reset returns one to its default', async () => {
    const rolled = await bbws('tenants', 'rollback', TENANT, '--wait', '--data-dir', p.dataDir);
    expect(rolled.code, rolled.stderr).toBe(0);
    // The revision before the last (the edge rate reset): requestsPerSecond 5 again.
    expect((await instance()).limits).toMatchObject({ phpWorkers: 2, uploadMaxMb: 1, requestsPerSecond: 5 });
    const defaults = await bbws('tenants', 'limits', TENANT, ...['phpWorkers', 'memoryLimitMb', 'uploadMaxMb', 'dbConnections', 'dbQueryTimeSeconds', 'requestsPerSecond'].flatMap((n) => ['--reset', n]), '--wait', '--data-dir', p.dataDir);
    expect(defaults.code, defaults.stderr).toBe(0);
    expect((await instance()).limits).toMatchObject({ phpWorkers: 4, uploadMaxMb: 64, requestsPerSecond: 50 });
    expect(await poolConf()).toMatchObject({ maxChildren: 4, uploadMaxMb: 64 });
    await bbws('tenants', 'limits', TENANT, '--upload-max', '2', '--wait', '--data-dir', p.dataDir);
    expect((await instance()).limits.uploadMaxMb).toBe(2);
    const reset = await bbws('tenants', 'limits', TENANT, '--reset', 'uploadMaxMb', '--wait', '--data-dir', p.dataDir);
    expect(reset.code, reset.stderr).toBe(0);
    expect((await instance()).limits.uploadMaxMb).toBe(64);
  }, 180_000);
});
