/**
 * The whole platform as `bbws up` runs it — API, workers, event handler, reconciler, real MariaDB,
 * php-fpm, nginx and WordPress — in a temp data dir with ephemeral ports. Cleans up processes,
 * Unix users and files even when a test fails.
 */
import { removeRuntimeOf } from './local-runtime-harness.js';
import { pollUntil } from './poll.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenAuthority, loadOrCreateSigningKey } from '../../src/adapters/auth/jwt.js';
import { freePort } from '../../src/adapters/runtime/local/mariadb.js';
import type { Role } from '../../src/domain/auth.js';
import { parseConfig } from '../../src/main/config.js';
import { createLocalBackups, createLocalRuntime, createLocalSites } from '../../src/main/local-runtime-factory.js';
import { createLogger } from '../../src/main/logger.js';
import { type RunningPlatform, startPlatform } from '../../src/main/platform.js';
import type { StateSettings } from '../../src/main/state-settings.js';

export interface LocalPlatform {
  dataDir: string;
  edgePort: number;
  platform: RunningPlatform;
  token(role?: Role, tenantId?: string): Promise<string>;
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  /** GET through the edge with a Host header (fetch cannot set Host). */
  edge(host: string, path?: string): Promise<{ status: number; location?: string; body: string }>;
  waitForOperation(id: string, timeoutMs?: number): Promise<any>;
  waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/**
 * `extra.state`: the control plane on DynamoDB + SQS (emulators) instead of SQLite; `extra.onStop`
 * runs after the platform stopped; `extra.alarmIntervalMs`: also run the alarm evaluator (the
 * `alarms` role), that often; `extra.dataDir`: a data dir made elsewhere (a platform restore),
 * removed by stop() like a temp one; `extra.edgePort`: the old platform's.
 */
export async function startLocalPlatform(
  env: Record<string, string> = {},
  extra: { state?: StateSettings; onStop?: () => Promise<void>; alarmIntervalMs?: number; dataDir?: string; edgePort?: number } = {},
): Promise<LocalPlatform> {
  const dataDir = extra.dataDir ?? mkdtempSync(join(tmpdir(), 'bbws-e2e-'));
  const edgePort = extra.edgePort ?? (await freePort());
  let platform: RunningPlatform;
  try {
    platform = await startPlatform({
      // No backup schedule unless a test asks for one: scheduled backups would run beside every test's own work.
      config: parseConfig({ dataDir, apiPort: 0, edgePort }, { BBWS_RATE_LIMIT: '0', BBWS_BACKUP_SCHEDULE: 'off', ...env }),
      roles: ['api', 'worker', 'events', 'reconciler', ...(extra.alarmIntervalMs ? (['alarms'] as const) : [])],
      state: extra.state,
      logger: createLogger({ level: 'info', dataDir, stdout: false }),
      createRuntime: createLocalRuntime,
      createWordPress: createLocalSites,
      createBackupEngine: createLocalBackups,
      reconcileIntervalMs: 500,
      alarmIntervalMs: extra.alarmIntervalMs,
    });
  } catch (err) {
    await removeRuntimeOf(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const authority = createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key')));
  const admin = await authority.sign({ role: 'platform-admin' }, 3600);
  const h: LocalPlatform = {
    dataDir,
    edgePort,
    platform,
    token: (role = 'platform-admin', tenantId) => authority.sign({ role, tenantId }, 3600),
    async api(method, path, body, token = admin) {
      const res = await fetch(platform.apiUrl + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    edge: (host, path = '/') =>
      new Promise((resolve, reject) => {
        // A browser sends the port in Host; WordPress redirects to its canonical URL (with the port) otherwise.
        request({ host: '127.0.0.1', port: edgePort, path, headers: { host: `${host}:${edgePort}` } }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, body }));
        })
          .on('error', reject)
          .end();
      }),
    waitFor: (what, fn, timeoutMs = 60_000) => pollUntil(what, fn, timeoutMs, 100) as never,
    waitForOperation: (id, timeoutMs = 90_000) =>
      h.waitFor(`operation ${id}`, async () => {
        const op = (await h.api('GET', `/v1.0/operations/${id}`)).body;
        return op.status === 'SUCCEEDED' || op.status === 'FAILED' ? op : undefined;
      }, timeoutMs),
    async stop() {
      try {
        await platform.stop();
      } finally {
        await removeRuntimeOf(dataDir);
        rmSync(dataDir, { recursive: true, force: true });
        await extra.onStop?.();
      }
    },
  };
  return h;
}

/** The platform with one tenant provisioned (ACTIVE) by the API, as most runtime tests start. */
export async function startLocalPlatformWithTenant(tenantName: string, env: Record<string, string> = {}): Promise<LocalPlatform> {
  const p = await startLocalPlatform(env);
  try {
    const created = await p.api('POST', '/v1.0/tenants', { tenantName });
    const op = await p.waitForOperation(created.body.operationId);
    if (op.status !== 'SUCCEEDED') throw new Error(`tenant ${tenantName} was not provisioned: ${op.error}`);
    return p;
  } catch (err) {
    await p.stop();
    throw err;
  }
}
