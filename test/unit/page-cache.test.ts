/**
 * The page cache's pure parts: nginx's cache blocks and the cache mu-plugin against golden files
 * (and `nginx -t` / `php -l`), the cache-key parser, purge paths, and purges over cache files laid
 * out as nginx writes them. The behaviour with real WordPress is test/integration/page-cache.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { renderEdgeConfig } from '../../src/adapters/runtime/local/render-nginx.js';
import { createPageCache, parseCacheKey, purgePath } from '../../src/adapters/runtime/local/page-cache.js';
import { renderCachePlugin } from '../../src/adapters/wordpress/local/render-cache-plugin.js';
import { parseCacheSettings, DEFAULT_SITE_CACHE } from '../../src/domain/site.js';
import { renderTierMap } from '../../src/adapters/runtime/local/render-nginx-limits.js';
import { CONNECTION_TIERS, RATE_TIERS } from '../../src/domain/tenant-limits.js';

const run = promisify(execFile);
const FIX = '../fixtures/local-runtime';
const R = '/var/lib/bbws/runtime';
const temps: string[] = [];
const temp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'bbws-pc-'));
  temps.push(d);
  return d;
};
afterEach(async () => {
  for (const d of temps.splice(0)) await rm(d, { recursive: true, force: true });
});

const edgeInput = (root: string) => ({
  edgeDir: `${root}/edge`,
  routesDir: `${root}/edge/routes`,
  socketsDir: `${root}/edge/sockets`,
  suspendedDir: `${root}/edge/suspended`,
  listenAddress: '127.0.0.1',
  port: 8088,
  workerUser: null,
  basicAuth: null,
  workerProcesses: 2,
  mimeTypesFile: '/etc/nginx/mime.types',
  wordpressCore: '/usr/share/wordpress',
  cache: { cacheDir: `${root}/edge/cache`, cacheOffDir: `${root}/edge/cache-off`, maxSizeMb: 1024, defaultTtlSeconds: 600, refreshToken: 'golden-file-refresh-token-0123' },
  limits: { rateMapFile: `${root}/edge/limits-rate.map`, connectionMapFile: `${root}/edge/limits-conn.map`, defaultRate: 50, defaultConnections: 20 },
});

/** A cache file as nginx writes it: binary header, then the key line, then the HTTP answer. */
async function cacheFile(dir: string, key: string): Promise<string> {
  const md5 = createHash('md5').update(key).digest('hex');
  const sub = join(dir, md5.slice(-2));
  await mkdir(sub, { recursive: true });
  const header = Buffer.alloc(0x150, 1);
  await writeFile(join(sub, md5), Buffer.concat([header, Buffer.from(`\nKEY: ${key}\nHTTP/1.1 200 OK\r\n\r\n<html>`)]));
  return md5;
}

describe('page cache renderers', () => {
  it('renders the edge with its cache blocks (golden file), which nginx -t accepts', async () => {
    const text = renderEdgeConfig(edgeInput(R));
    await expect(text).toMatchFileSnapshot(`${FIX}/nginx-cache.conf`);
    const root = await temp();
    for (const d of ['edge/logs', 'edge/tmp', 'edge/routes', 'edge/sockets', 'edge/suspended', 'edge/cache-off']) await mkdir(join(root, d), { recursive: true });
    await writeFile(join(root, 'edge/limits-rate.map'), renderTierMap(new Map([['acme', 5]]), RATE_TIERS));
    await writeFile(join(root, 'edge/limits-conn.map'), renderTierMap(new Map(), CONNECTION_TIERS));
    await writeFile(join(root, 'edge/nginx.conf'), renderEdgeConfig(edgeInput(root)));
    await run('nginx', ['-t', '-q', '-p', join(root, 'edge'), '-c', join(root, 'edge/nginx.conf')]);
  });

  it('renders the cache mu-plugin (golden file), valid PHP', async () => {
    const text = renderCachePlugin({ tenantId: 'acme', purgeSocket: `${R}/purge/purge.sock`, keyFile: `${R}/tenants/acme/cache-purge.key`, sitesMapFile: `${R}/tenants/acme/sites-map.json` });
    await expect(text).toMatchFileSnapshot(`${FIX}/bbws-cache.php`);
    const dir = await temp();
    await writeFile(join(dir, 'p.php'), text);
    await run('php', ['-n', '-l', join(dir, 'p.php')]);
  });

  it('refuses hostile input in the renderers', () => {
    expect(() => renderTierMap(new Map([['acme;\n include /etc/passwd', 5]]), RATE_TIERS)).toThrow();
    expect(() => renderTierMap(new Map([['acme', 7]]), RATE_TIERS)).toThrow(/not a tier/);
    expect(() => renderEdgeConfig({ ...edgeInput(R), cache: { ...edgeInput(R).cache, cacheDir: '/x;\n include /etc/passwd' } })).toThrow();
    expect(() => renderCachePlugin({ tenantId: "a'); system('id", purgeSocket: '/p', keyFile: '/k', sitesMapFile: '/m' })).toThrow();
  });
});

describe('cache keys and purge paths', () => {
  it('parses the keys render-nginx-cache.ts makes', () => {
    expect(parseCacheKey('GET|https://a.example.com:8443/x?y=1')).toEqual({ method: 'GET', scheme: 'https', host: 'a.example.com', port: ':8443', uri: '/x?y=1' });
    expect(parseCacheKey('HEAD|http://a.localhost/')).toMatchObject({ host: 'a.localhost', port: '', uri: '/' });
    expect(parseCacheKey('GET|http://a.localhost')).toBeNull();
    expect(parseCacheKey('something else')).toBeNull();
  });

  it('takes a path or a URL, nothing else', () => {
    expect(purgePath('/blog/')).toBe('/blog/');
    expect(purgePath('http://one.acme.wpdev.localhost:8088/blog/?p=2')).toBe('/blog/?p=2');
    for (const bad of ['blog', '/a b', '/\n', 'javascript:alert(1)', '']) expect(() => purgePath(bad)).toThrow(/not a URL path/);
  });

  it('cache settings: partial updates over the current ones, bad values refused with the field', () => {
    expect(parseCacheSettings({ ttlSeconds: 60 }, DEFAULT_SITE_CACHE)).toEqual({ enabled: true, ttlSeconds: 60 });
    expect(parseCacheSettings({ enabled: false }, { enabled: true, ttlSeconds: 5 })).toEqual({ enabled: false, ttlSeconds: 5 });
    for (const [bad, field] of [[{ ttlSeconds: 0 }, 'cache.ttlSeconds'], [{ ttlSeconds: 1.5 }, 'cache.ttlSeconds'], [{ enabled: 'yes' }, 'cache.enabled'], [{ ttl: 5 }, 'cache.ttl'], [null, 'cache'], [[], 'cache']] as const) {
      expect(() => parseCacheSettings(bad, DEFAULT_SITE_CACHE)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', details: { field } }));
    }
  });
});

describe('purging cache files', () => {
  it("removes a host's pages (every method, scheme and port) and nobody else's; paths narrow it", async () => {
    const dir = await temp();
    const off = await temp();
    const cache = createPageCache({ cacheDir: dir, cacheOffDir: off, repeatAfterMs: 0 });
    const mine = ['GET|http://one.localhost:8088/', 'HEAD|http://one.localhost:8088/', 'GET|https://one.localhost/blog/', 'GET|http://one.localhost:8088/blog/?page=2'];
    const theirs = ['GET|http://two.localhost:8088/', 'GET|http://one.localhost.evil.test/', 'GET|http://xone.localhost/'];
    for (const k of [...mine, ...theirs]) await cacheFile(dir, k);
    // nginx's temporary file of a page being stored (a dot in the name) is not a page yet: left alone.
    const tmpName = await cacheFile(dir, 'GET|http://one.localhost:8088/being-written');
    await writeFile(join(dir, tmpName.slice(-2), `${tmpName}.0000000001`), 'partial');
    await rm(join(dir, tmpName.slice(-2), tmpName));
    expect(await cache.purge({ hosts: ['one.localhost'], paths: ['/blog/'] })).toBe(2);
    expect(await cache.purge({ hosts: ['one.localhost'] })).toBe(2);
    const left = (await Promise.all((await readdir(dir)).map((d) => readdir(join(dir, d))))).flat();
    expect(left).toHaveLength(theirs.length + 1);
    await expect(cache.purge({ hosts: ['../etc'] })).rejects.toThrow();
  });

  it('switches a host off with a flag file nginx can open, and on again', async () => {
    const dir = await temp();
    const off = await temp();
    const cache = createPageCache({ cacheDir: dir, cacheOffDir: off, repeatAfterMs: 0 });
    await cacheFile(dir, 'GET|http://one.localhost/');
    await cache.setEnabled('one.localhost', false);
    expect(await readdir(off)).toEqual(['one.localhost']);
    expect((await readdir(join(dir, (await readdir(dir))[0]!)))).toHaveLength(0);
    await cache.setEnabled('one.localhost', true);
    expect(await readdir(off)).toEqual([]);
    await expect(cache.setEnabled('a/../b', false)).rejects.toThrow();
  });

  it('refreshes the homepage and named GET pages in place (a new file over the old), deletes the rest; deletes what was not stored anew', async () => {
    const dir = await temp();
    const asked: string[] = [];
    // What nginx does with a refresh request: writes a temporary file and renames it over the page.
    const refresh = async (key: string) => {
      asked.push(key);
      if (key.includes('/fails')) throw new Error('edge answered 502');
      if (key.includes('/not-stored')) return;
      const md5 = createHash('md5').update(key).digest('hex');
      const file = join(dir, md5.slice(-2), md5);
      await writeFile(`${file}.0000000002`, `\nKEY: ${key}\nHTTP/1.1 200 OK\r\n\r\n<html>new`);
      await rename(`${file}.0000000002`, file);
    };
    const cache = createPageCache({ cacheDir: dir, cacheOffDir: await temp(), repeatAfterMs: 0, refresh });
    const keys = ['GET|http://one.localhost:8088/', 'HEAD|http://one.localhost:8088/', 'GET|https://one.localhost/', 'GET|http://one.localhost:8088/blog/', 'GET|http://one.localhost:8088/fails', 'GET|http://one.localhost:8088/not-stored'];
    const names = new Map<string, string>();
    for (const k of keys) names.set(k, await cacheFile(dir, k));
    const present = async (k: string) => (await readdir(join(dir, names.get(k)!.slice(-2)))).includes(names.get(k)!);
    expect(await cache.purge({ hosts: ['one.localhost'] })).toBe(keys.length);
    expect(asked.sort()).toEqual(['GET|http://one.localhost:8088/', 'GET|https://one.localhost/']);
    for (const k of keys) expect(await present(k)).toBe(k.startsWith('GET|') && /one\.localhost(:8088)?\/$/.test(k));
    for (const k of keys) await cacheFile(dir, k);
    asked.length = 0;
    const counted = await cache.purgeCounted({ hosts: ['one.localhost'], paths: ['/fails', '/not-stored', '/blog/'] });
    expect(counted).toMatchObject({ purged: 3, refreshed: 1 });
    expect(counted.refreshMissed).toMatch(/^(edge answered 502|not stored)$/);
    expect(asked.sort()).toEqual(['GET|http://one.localhost:8088/blog/', 'GET|http://one.localhost:8088/fails', 'GET|http://one.localhost:8088/not-stored']);
    expect([await present('GET|http://one.localhost:8088/blog/'), await present('GET|http://one.localhost:8088/fails'), await present('GET|http://one.localhost:8088/not-stored')]).toEqual([true, false, false]);
    // A route removed or the cache switched off: delete only, no request to the edge.
    asked.length = 0;
    await cache.setEnabled('one.localhost', true);
    expect(asked).toEqual([]);
    expect(await present('GET|http://one.localhost:8088/')).toBe(false);
  });

  it('runs every purge a second time, for pages stored by requests that were in PHP during the first', async () => {
    const dir = await temp();
    const cache = createPageCache({ cacheDir: dir, cacheOffDir: await temp(), repeatAfterMs: 50 });
    expect(await cache.purge({ hosts: ['one.localhost'] })).toBe(0);
    const late = await cacheFile(dir, 'GET|http://one.localhost/');
    await new Promise((r) => setTimeout(r, 150));
    expect(await readdir(join(dir, late.slice(-2)))).toEqual([]);
    cache.stop();
  });
});
