import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../support/platform-local-harness.js';

/** The whole platform as `bbws up` runs it: API, worker, event handler, reconciler, real MariaDB/php-fpm/nginx. */
describe('bbws platform with the local runtime (end to end)', () => {
  let p: LocalPlatform;
  beforeAll(async () => {
    p = await startLocalPlatform();
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('POST /v1.0/tenants → ACTIVE → the edge answers 302 to /wp-admin/install.php; hard delete removes the route', async () => {
    const created = await p.api('POST', '/v1.0/tenants', { tenantName: 'shop' });
    expect(created.status).toBe(202);
    expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    expect((await p.api('GET', '/v1.0/tenants/shop/instance')).body).toMatchObject({ provisioningState: 'ACTIVE', runningCount: 1 });
    const res = await p.edge('shop.wpdev.localhost');
    expect(res.status).toBe(302);
    expect(res.location).toMatch(/\/wp-admin\/install\.php$/);

    const health = await fetch(`${p.platform.apiUrl}/health`).then((r) => r.json() as Promise<any>);
    expect(health.components.map((c: any) => c.name)).toEqual(expect.arrayContaining(['mariadb', 'nginx']));

    const del = await p.api('DELETE', '/v1.0/tenants/shop?mode=hard');
    expect((await p.waitForOperation(del.body.operationId)).status).toBe('SUCCEEDED');
    expect((await p.api('GET', '/v1.0/tenants/shop/instance')).body.provisioningState).toBe('DEPROVISIONED');
    expect((await p.edge('shop.wpdev.localhost')).status).toBe(404);
  }, 120_000);
});
