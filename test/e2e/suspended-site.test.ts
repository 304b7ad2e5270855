/**
 * A soft-deleted tenant's sites, on the whole platform (real nginx, php-fpm, WordPress): the API
 * says SUSPENDED with the reason, and the edge answers each of its host names 503 "suspended"
 * (Retry-After, for static files as well as PHP), never a 502. Creating the tenant again serves
 * them again; a hard delete leaves no suspension behind (the names are free).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/adapters/runtime/local/local-runtime.js';
import { edgeClient } from '../support/edge-client.js';
import { startLocalPlatform, type LocalPlatform } from '../support/platform-local-harness.js';

describe('suspended sites at the edge (end to end)', () => {
  let p: LocalPlatform;
  const T = 'pausing';
  const siteHost = `blog.${T}.wpdev.localhost`;
  const tenantHost = `${T}.wpdev.localhost`;
  let siteId: string;
  const suspendedDir = () => (p.platform.runtime as LocalRuntime).layout.edgeSuspended;
  const run = async (method: string, path: string, body?: unknown) => {
    const res = await p.api(method, path, body);
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    expect((await p.waitForOperation(res.body.operationId)).status).toBe('SUCCEEDED');
    return res.body;
  };

  beforeAll(async () => {
    p = await startLocalPlatform();
    await run('POST', '/v1.0/tenants', { tenantName: T });
    siteId = (await run('POST', `/v1.0/tenants/${T}/sites`, { siteName: 'blog', title: 'Blog', adminEmail: 'owner@example.com' })).siteId;
  }, 180_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('soft delete: the site reads SUSPENDED and the edge answers 503 "suspended" for every path, not 502', async () => {
    expect((await p.edge(siteHost)).status).toBe(200);
    await run('DELETE', `/v1.0/tenants/${T}?mode=soft`);
    const site = (await p.api('GET', `/v1.0/tenants/${T}/sites/${siteId}`)).body;
    expect(site).toMatchObject({ status: 'SUSPENDED', suspendedReason: expect.stringMatching(/soft delete/) });
    for (const [host, path] of [[siteHost, '/'], [siteHost, '/wp-login.php'], [siteHost, '/wp-includes/css/dashicons.min.css'], [tenantHost, '/']]) {
      const res = await edgeClient(p.edgePort, host).get(path);
      expect({ host, path, status: res.status }).toEqual({ host, path, status: 503 });
      expect(res.text).toMatch(/This site is suspended/);
      expect(res.headers['retry-after']).toBe('3600');
      expect(res.headers['content-type']).toMatch(/^text\/html/);
    }
    // The page is the edge's own: asking for it by its internal name is a 404 elsewhere.
    expect((await edgeClient(p.edgePort, 'nosuch.wpdev.localhost').get('/__bbws_suspended__')).status).toBe(404);
  }, 120_000);

  it('created again: the site is ACTIVE and served; a hard delete then leaves no suspension behind', async () => {
    await run('POST', '/v1.0/tenants', { tenantName: T });
    expect((await p.api('GET', `/v1.0/tenants/${T}/sites/${siteId}`)).body.status).toBe('ACTIVE');
    expect((await p.edge(siteHost)).status).toBe(200);
    expect(readdirSync(suspendedDir())).toEqual([]);
    await run('DELETE', `/v1.0/tenants/${T}?mode=soft`);
    expect(readdirSync(suspendedDir()).sort()).toEqual([siteHost, tenantHost].sort());
    await run('DELETE', `/v1.0/tenants/${T}?mode=hard`);
    expect(readdirSync(suspendedDir())).toEqual([]);
    expect((await p.edge(siteHost)).status).toBe(404);
    expect(join(suspendedDir())).toMatch(/edge\/suspended$/);
  }, 180_000);
});
