/**
 * The install link as a tenant's owner gets it: `POST /v1.0/tenants/{id}/install-link` and
 * `bbws tenants install-link`, against the whole platform (real MariaDB, php-fpm, nginx). Only
 * the tenant's tenant-admin or a platform-admin gets one; the link is never replayed from an
 * idempotency record; and the URL it gives opens the installer through the edge.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeClient } from '../support/edge-client.js';
import { startLocalPlatform, type LocalPlatform } from '../support/platform-local-harness.js';

const exec = promisify(execFile);

describe('install links (end to end)', () => {
  let p: LocalPlatform;
  const post = async (path: string, token: string | null, headers: Record<string, string> = {}) => {
    const r = await fetch(`${p.platform.apiUrl}${path}`, { method: 'POST', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
    return { status: r.status, headers: r.headers, body: (await r.json()) as any };
  };
  beforeAll(async () => {
    p = await startLocalPlatform();
    const created = await p.api('POST', '/v1.0/tenants', { tenantName: 'owned' });
    expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('only the tenant\'s tenant-admin or a platform-admin gets a link; errors use the envelope', async () => {
    const none = await post('/v1.0/tenants/owned/install-link', null);
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: 'UNAUTHORIZED', correlationId: expect.any(String) });
    const other = await post('/v1.0/tenants/owned/install-link', await p.token('tenant-admin', 'someone'));
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('TENANT_NOT_FOUND');
    expect((await post('/v1.0/tenants/nosuch/install-link', await p.token())).body.error.code).toBe('TENANT_NOT_FOUND');
  });

  it("the owner's link opens the installer through the edge; a retry with the same Idempotency-Key gets a new link, not the stored one", async () => {
    const owner = await p.token('tenant-admin', 'owned');
    const first = await post('/v1.0/tenants/owned/install-link', owner, { 'idempotency-key': 'install-1' });
    expect(first.status).toBe(201);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.body).toMatchObject({ tenantId: 'owned', expiresAt: expect.any(String) });
    const url = new URL(first.body.installUrl);
    expect(`${url.hostname}:${url.port}${url.pathname}`).toBe(`owned.wpdev.localhost:${p.edgePort}/wp-admin/install.php`);
    const again = await post('/v1.0/tenants/owned/install-link', owner, { 'idempotency-key': 'install-1' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.body.installUrl).not.toBe(first.body.installUrl);
    // The first link was replaced; the second one opens the installer.
    const browser = edgeClient(p.edgePort, 'owned.wpdev.localhost');
    expect((await browser.get(`${url.pathname}${url.search}`)).status).toBe(403);
    const latest = new URL(again.body.installUrl);
    expect((await browser.get(`${latest.pathname}${latest.search}`)).status).toBe(302);
    expect((await browser.get('/wp-admin/install.php')).status).toBe(200);
  });

  it('bbws tenants install-link prints the link', async () => {
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', join(__dirname, '../support/cli-entry.ts'), 'tenants', 'install-link', 'owned', '--json', '--data-dir', p.dataDir], {
      env: { ...process.env, BBWS_DATA_DIR: '' },
    });
    const link = JSON.parse(stdout);
    expect(link.installUrl).toMatch(/\/wp-admin\/install\.php\?bbws_install_token=[A-Za-z0-9_-]{43}$/);
    const u = new URL(link.installUrl);
    expect((await edgeClient(p.edgePort, 'owned.wpdev.localhost').get(`${u.pathname}${u.search}`)).status).toBe(302);
  });
});
