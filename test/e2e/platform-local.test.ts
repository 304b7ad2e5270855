import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenAuthority, loadOrCreateSigningKey } from '../../src/adapters/auth/jwt.js';
import { freePort } from '../../src/adapters/runtime/local/mariadb.js';
import { listUsers, removeSystemUser } from '../../src/adapters/runtime/local/unix-users.js';
import { parseConfig } from '../../src/main/config.js';
import { createLocalRuntime } from '../../src/main/local-runtime-factory.js';
import { createLogger } from '../../src/main/logger.js';
import { type RunningPlatform, startPlatform } from '../../src/main/platform.js';

/** The whole platform as `bbws up` runs it: API, worker, event handler, reconciler, real MariaDB/php-fpm/nginx. */
describe('bbws platform with the local runtime (end to end)', () => {
  let dataDir: string;
  let platform: RunningPlatform | undefined;
  let edgePort: number;
  let token: string;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(platform!.apiUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  // fetch() does not let a caller set Host; node:http does, like curl -H 'Host: …'.
  const edge = (host: string) =>
    new Promise<{ status: number; location?: string }>((resolve, reject) => {
      request({ host: '127.0.0.1', port: edgePort, path: '/', headers: { host } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, location: res.headers.location });
      })
        .on('error', reject)
        .end();
    });
  const waitForOperation = async (id: string) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const op = (await api('GET', `/v1.0/operations/${id}`)).body;
      if (op.status === 'SUCCEEDED' || op.status === 'FAILED') return op;
      if (Date.now() > deadline) throw new Error(`operation ${id} still ${op.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bbws-e2e-'));
    edgePort = await freePort();
    platform = await startPlatform({
      config: parseConfig({ dataDir, apiPort: 0, edgePort }, {}),
      roles: ['api', 'worker', 'events', 'reconciler'],
      logger: createLogger({ level: 'info', dataDir, stdout: false }),
      createRuntime: createLocalRuntime,
    });
    token = await createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key'))).sign({ role: 'platform-admin' }, 600);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    const iid = (() => {
      try {
        return readFileSync(join(dataDir, 'runtime', 'instance-id'), 'utf8').trim();
      } catch {
        return '';
      }
    })();
    if (process.getuid?.() === 0 && /^[0-9a-f]{4}$/.test(iid)) for (const u of await listUsers(`bw${iid}-`)) await removeSystemUser(u).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('POST /v1.0/tenants → ACTIVE → the edge answers 302 to /wp-admin/install.php; hard delete removes the route', async () => {
    const created = await api('POST', '/v1.0/tenants', { tenantName: 'shop' });
    expect(created.status).toBe(202);
    const op = await waitForOperation(created.body.operationId);
    expect(op.status).toBe('SUCCEEDED');
    const instance = (await api('GET', '/v1.0/tenants/shop/instance')).body;
    expect(instance).toMatchObject({ provisioningState: 'ACTIVE', runningCount: 1 });
    const res = await edge('shop.wpdev.localhost');
    expect(res.status).toBe(302);
    expect(res.location).toMatch(/\/wp-admin\/install\.php$/);

    const health = await fetch(`${platform!.apiUrl}/health`).then((r) => r.json() as Promise<any>);
    expect(health.components.map((c: any) => c.name)).toEqual(expect.arrayContaining(['mariadb', 'nginx']));

    const del = await api('DELETE', '/v1.0/tenants/shop?mode=hard');
    expect((await waitForOperation(del.body.operationId)).status).toBe('SUCCEEDED');
    expect((await api('GET', '/v1.0/tenants/shop/instance')).body.provisioningState).toBe('DEPROVISIONED');
    expect((await edge('shop.wpdev.localhost')).status).toBe(404);
  }, 120_000);
});
