/**
 * A site's page cache through the API and `bbws` (a child process) against the whole local
 * platform: `sites get` shows the settings, `sites update --cache off|on --cache-ttl` changes what
 * the edge does (X-Cache), `sites purge [--url]` empties it, bad settings are a 400 that changes
 * nothing, and a tenant admin cannot purge another tenant's site.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bbws } from '../support/cli-process.js';
import { edgeClient } from '../support/edge-client.js';
import { type LocalPlatform, startLocalPlatform } from '../support/platform-local-harness.js';

const TENANT = 'clicache';
const OTHER = 'clicache2';

describe('site page cache: API and CLI', () => {
  let p: LocalPlatform;
  let siteId: string;
  let host: string;
  const xcache = async (path = '/') => (await edgeClient(p.edgePort, host).get(path)).headers['x-cache'];
  const untilHit = async (path = '/') => p.waitFor(`${path} from the cache`, async () => ((await xcache(path)) === 'HIT' ? true : undefined));

  beforeAll(async () => {
    p = await startLocalPlatform();
    for (const t of [TENANT, OTHER]) {
      const created = await p.api('POST', '/v1.0/tenants', { tenantName: t });
      expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    }
    const site = await bbws('sites', 'create', TENANT, 'news', '--title', 'Daily News', '--admin-email', 'me@example.com', '--wait', '--json', '--data-dir', p.dataDir);
    expect(site.code, site.stderr).toBe(0);
    siteId = JSON.parse(site.stdout).siteId;
    host = (await p.api('GET', `/v1.0/tenants/${TENANT}/sites/${siteId}`)).body.hostnames[0];
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
  }, 60_000);

  it('a new site is cached for 10 minutes; sites get shows it', async () => {
    expect((await p.api('GET', `/v1.0/tenants/${TENANT}/sites/${siteId}`)).body.cache).toEqual({ enabled: true, ttlSeconds: 600 });
    const shown = await bbws('sites', 'get', TENANT, 'news', '--data-dir', p.dataDir);
    expect(shown.stdout).toMatch(/cache\s+on, ttl 600s/);
    await untilHit();
  });

  it('sites purge empties the site (one URL, or all) and says how much', async () => {
    // Earlier purges (the site's creation) run a second pass 2 s later (page-cache.ts): let it go by.
    await new Promise((r) => setTimeout(r, 2_200));
    await untilHit();
    await untilHit('/?s=bread');
    const one = await bbws('sites', 'purge', TENANT, 'news', '--url', `http://${host}:${p.edgePort}/?s=bread`, '--json', '--data-dir', p.dataDir);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ siteId, purged: 1 });
    expect(await xcache()).toBe('HIT');
    // The named URL was rendered anew in place (page-cache.ts): a HIT, of the new copy.
    expect(await xcache('/?s=bread')).toBe('HIT');
    await untilHit('/?s=cake');
    const all = await bbws('sites', 'purge', TENANT, 'news', '--data-dir', p.dataDir);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^Purged [1-9]\d* cached pages? of news in \d+ ms\.$/m);
    // The whole site: the homepage refreshed in place, the other pages deleted.
    expect(await xcache()).toBe('HIT');
    expect(await xcache('/?s=cake')).toBe('MISS');
    const foreign = await p.api('POST', `/v1.0/tenants/${TENANT}/sites/${siteId}/cache/purge`, { url: 'http://elsewhere.example.com/' });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'url' } });
    const hostile = await p.api('POST', `/v1.0/tenants/${TENANT}/sites/${siteId}/cache/purge`, { url: '/a\nb' });
    expect(hostile.status).toBe(400);
  });

  it('sites update --cache off bypasses the cache; --cache on --cache-ttl sets it back', async () => {
    const off = await bbws('sites', 'update', TENANT, 'news', '--cache', 'off', '--wait', '--json', '--data-dir', p.dataDir);
    expect(off.code, off.stderr).toBe(0);
    expect(JSON.parse(off.stdout).site.cache).toEqual({ enabled: false, ttlSeconds: 600 });
    expect(await xcache()).toBe('BYPASS');
    const on = await bbws('sites', 'update', TENANT, 'news', '--cache', 'on', '--cache-ttl', '120', '--wait', '--data-dir', p.dataDir);
    expect(on.code, on.stderr).toBe(0);
    expect((await p.api('GET', `/v1.0/tenants/${TENANT}/sites/${siteId}`)).body.cache).toEqual({ enabled: true, ttlSeconds: 120 });
    await untilHit();
    const bad = await bbws('sites', 'update', TENANT, 'news', '--cache', 'maybe', '--data-dir', p.dataDir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cache wants on or off/);
  }, 120_000);

  it('bad cache settings are a 400 naming the field, and change nothing', async () => {
    const before = (await p.api('GET', `/v1.0/tenants/${TENANT}/sites/${siteId}`)).body;
    for (const [cache, field] of [[{ ttlSeconds: 0 }, 'cache.ttlSeconds'], [{ enabled: 'no' }, 'cache.enabled'], [{ size: 1 }, 'cache.size'], ['on', 'cache']] as const) {
      const r = await p.api('PATCH', `/v1.0/tenants/${TENANT}/sites/${siteId}`, { cache });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field } });
    }
    const after = (await p.api('GET', `/v1.0/tenants/${TENANT}/sites/${siteId}`)).body;
    expect(after.version).toBe(before.version);
    expect(after.cache).toEqual(before.cache);
  });

  it("a tenant admin cannot purge another tenant's site", async () => {
    const theirs = await p.token('tenant-admin', OTHER);
    const r = await p.api('POST', `/v1.0/tenants/${TENANT}/sites/${siteId}/cache/purge`, {}, theirs);
    // The same answer as for reading that site: refused, its existence not confirmed.
    const read = await p.api('GET', `/v1.0/tenants/${TENANT}/sites/${siteId}`, undefined, theirs);
    expect([403, 404]).toContain(r.status);
    expect(r.body.error.code).toBe(read.body.error.code);
    const mine = await p.api('POST', `/v1.0/tenants/${TENANT}/sites/${siteId}/cache/purge`, {}, await p.token('tenant-admin', TENANT));
    expect(mine.status).toBe(200);
  });
});
