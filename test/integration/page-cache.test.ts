/**
 * The edge's page cache against real WordPress, nginx, php-fpm and MariaDB: what is cached and
 * what bypasses it, X-Cache, purges from the cache mu-plugin on content changes (real users,
 * real cookies, the REST API), per-site settings, and that one tenant can neither read nor purge
 * another's cached pages.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { createLocalWordPress, type LocalWordPress } from '../../src/adapters/wordpress/local/local-wordpress.js';
import { purgeKeyFile } from '../../src/adapters/runtime/local/tenant-files.js';
import type { SiteRef } from '../../src/ports/wordpress.js';
import { edgeClient, logInToWordPress } from '../support/edge-client.js';
import { runSteps, silentLogger, spec, startTestRuntime, type TestRuntime } from '../support/local-runtime-harness.js';
import { pollUntil } from '../support/poll.js';

const isRoot = process.getuid?.() === 0;

/** GETs until the edge answers from its cache (a purge's second pass may still come by). */
async function untilHit(client: ReturnType<typeof edgeClient>, path = '/'): Promise<void> {
  await pollUntil(`${path} from the cache`, async () => (await client.get(path)).headers['x-cache'] === 'HIT', 5_000, 100);
}
const sh = promisify(execFile);

/** One JSON line to the purge socket, one back. */
function askPurge(socket: string, body: unknown): Promise<{ ok: boolean; purged?: number; error?: string }> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socket);
    let buf = '';
    c.on('data', (d) => (buf += d.toString()));
    c.on('end', () => resolve(JSON.parse(buf)));
    c.on('error', reject);
    c.write(`${JSON.stringify(body)}\n`);
  });
}

describe.skipIf(!isRoot)('page cache at the edge', () => {
  let t: TestRuntime;
  let wp: LocalWordPress;
  const one: SiteRef = { tenantId: 'acme', siteId: 'one0000001', hostnames: ['one.acme.wpdev.localhost', 'alias.acme.wpdev.localhost'] };
  const beta: SiteRef = { tenantId: 'beta', siteId: 'bet0000001', hostnames: ['main.beta.wpdev.localhost'] };
  const password = 'correct-horse-battery-1';
  const xcache = (r: { headers: Record<string, unknown> }) => r.headers['x-cache'];

  beforeAll(async () => {
    t = await startTestRuntime('dev', { pageCacheTtlSeconds: 600 });
    await runSteps(t.runtime.provisionSteps(spec('acme')));
    await runSteps(t.runtime.provisionSteps(spec('beta')));
    wp = createLocalWordPress({ runtime: t.runtime, secrets: createLocalSecrets({ dir: join(t.dataDir, 'secrets') }), config: t.runtime.config, logger: silentLogger() });
    for (const [site, title] of [[one, 'Acme One Title'], [beta, 'Beta Main Title']] as const) {
      await wp.routeSite(site);
      await wp.installSite(site, { title, adminUser: 'owner', adminEmail: 'owner@example.com', adminPassword: password });
    }
    // The installs' purges run a second pass 2 s later (page-cache.ts): let it go by before counting HITs.
    await new Promise((r) => setTimeout(r, 2_200));
  }, 240_000);

  afterAll(async () => {
    await wp?.close();
    await t?.cleanup();
  }, 60_000);

  it('caches anonymous GETs per host: MISS then HIT, and never one host for another', async () => {
    const a = edgeClient(t.edgePort, one.hostnames[0]!);
    const b = edgeClient(t.edgePort, beta.hostnames[0]!);
    const first = await a.get('/');
    expect(first.status).toBe(200);
    expect(xcache(first)).toBe('MISS');
    const second = await a.get('/');
    expect(xcache(second)).toBe('HIT');
    expect(second.text).toContain('Acme One Title');
    await b.get('/');
    const other = await b.get('/');
    expect(xcache(other)).toBe('HIT');
    expect(other.text).toContain('Beta Main Title');
    expect(other.text).not.toContain('Acme One Title');
    // An alias of the same site is its own cache entry (its links name the alias's host).
    expect(xcache(await edgeClient(t.edgePort, one.hostnames[1]!).get('/'))).toBe('MISS');
  });

  it('a HEAD never leaves an empty page for a GET', async () => {
    const a = edgeClient(t.edgePort, one.hostnames[0]!);
    await a.request('HEAD', '/?head-first=1');
    const got = await a.get('/?head-first=1');
    expect(got.text).toContain('Acme One Title');
  });

  it('bypasses POST, admin, login, REST, XML-RPC, previews, nonces and WordPress cookies', async () => {
    // A fresh client each time: no cookie from an earlier answer (wp-login's test cookie) goes along.
    const bypass = async (method: string, path: string, headers: Record<string, string> = {}) => xcache(await edgeClient(t.edgePort, one.hostnames[0]!).request(method, path, { headers }));
    expect(await bypass('POST', '/')).toBe('BYPASS');
    expect(await bypass('GET', '/wp-login.php')).toBe('BYPASS');
    expect(await bypass('GET', '/wp-admin/')).toBe('BYPASS');
    expect(await bypass('GET', '/wp-json/')).toBe('BYPASS');
    expect(await bypass('GET', '/?rest_route=/')).toBe('BYPASS');
    expect(await bypass('POST', '/xmlrpc.php')).toBe('BYPASS');
    expect(await bypass('GET', '/?p=1&preview=true')).toBe('BYPASS');
    expect(await bypass('GET', '/?_wpnonce=abc')).toBe('BYPASS');
    expect(await bypass('GET', '/', { Cookie: 'comment_author_abc=x' })).toBe('BYPASS');
    expect(await bypass('GET', '/', { Cookie: 'wordpress_logged_in_abc=forged' })).toBe('BYPASS');
    // Static files are nginx's own: no cache status at all.
    expect(await bypass('GET', '/wp-includes/css/dashicons.min.css')).toBeUndefined();
  });

  it('a logged-in page never reaches an anonymous visitor', async () => {
    const user = edgeClient(t.edgePort, one.hostnames[0]!);
    await logInToWordPress(user, 'owner', password);
    const mine = await user.get('/?logged-in-check=1');
    expect(xcache(mine)).toBe('BYPASS');
    expect(mine.text).toContain('wpadminbar');
    const anon = edgeClient(t.edgePort, one.hostnames[0]!);
    const seen = await anon.get('/?logged-in-check=1');
    expect(seen.text).not.toContain('wpadminbar');
    expect(xcache(await anon.get('/?logged-in-check=1'))).toBe('HIT');
  });

  it('a post saved through WordPress purges the site: no stale page after the save', async () => {
    const anon = edgeClient(t.edgePort, one.hostnames[0]!);
    await untilHit(anon);
    const other = edgeClient(t.edgePort, beta.hostnames[0]!);
    await untilHit(other);
    const editor = edgeClient(t.edgePort, one.hostnames[0]!);
    const nonce = await logInToWordPress(editor, 'owner', password);
    const saved = await editor.request('POST', '/?rest_route=/wp/v2/posts/1', { headers: { 'Content-Type': 'application/json', 'X-WP-Nonce': nonce }, body: JSON.stringify({ title: 'Freshly Edited Headline' }) });
    expect(saved.status).toBe(200);
    // The purge refreshed the homepage in place before the save answered (a HIT of the new page), or
    // under heavy load deleted it (cache-refresh.ts): either way the next visitor sees the change.
    const after = await anon.get('/');
    expect(after.text).toContain('Freshly Edited Headline');
    // Visitors at once right after a change all get the new page.
    const crowd = await Promise.all(Array.from({ length: 6 }, async () => {
      const s = performance.now();
      const r = await edgeClient(t.edgePort, one.hostnames[0]!).get('/');
      return { ms: performance.now() - s, hit: xcache(r), fresh: r.text.includes('Freshly Edited Headline') };
    }));
    expect(crowd.every((c) => c.fresh), JSON.stringify(crowd)).toBe(true);
    // The neighbour tenant's pages were not touched.
    expect(xcache(await other.get('/'))).toBe('HIT');
  });

  it('an approved comment purges; an option change through the platform purges', async () => {
    const anon = edgeClient(t.edgePort, one.hostnames[0]!);
    // The post's own page (/?p=1 redirects to its permalink).
    const post = new URL(String((await anon.get('/?p=1')).headers.location), 'http://x').pathname;
    await untilHit(anon, post);
    const editor = edgeClient(t.edgePort, one.hostnames[0]!);
    const nonce = await logInToWordPress(editor, 'owner', password);
    const posted = await editor.request('POST', '/?rest_route=/wp/v2/comments', { headers: { 'Content-Type': 'application/json', 'X-WP-Nonce': nonce }, body: JSON.stringify({ post: 1, content: 'An approved remark from the owner' }) });
    expect(posted.status).toBe(201);
    const page = await anon.get(post);
    expect(xcache(page)).toBe('MISS');
    expect(page.text).toContain('An approved remark from the owner');
    await untilHit(anon);
    await wp.setOptions(one, { blogdescription: 'Tagline After Change' });
    const after = await anon.get('/');
    expect(after.text).toContain('Tagline After Change');
  });

  it('per-site settings: off is BYPASS, a short TTL expires; purgeCache by path', async () => {
    const anon = edgeClient(t.edgePort, one.hostnames[0]!);
    await wp.routeSite({ ...one, cache: { enabled: false, ttlSeconds: 600 } });
    expect(xcache(await anon.get('/'))).toBe('BYPASS');
    await wp.routeSite({ ...one, cache: { enabled: true, ttlSeconds: 1 } });
    // Every purge runs again 2 s later (page-cache.ts): let that pass go by first.
    await new Promise((r) => setTimeout(r, 2_100));
    expect(xcache(await anon.get('/'))).toBe('MISS');
    expect(xcache(await anon.get('/'))).toBe('HIT');
    // nginx counts whole seconds: a 1 s TTL has surely passed after 2.
    await new Promise((r) => setTimeout(r, 2_100));
    expect(xcache(await anon.get('/'))).toBe('EXPIRED');
    await wp.routeSite({ ...one, cache: { enabled: true, ttlSeconds: 600 } });
    await new Promise((r) => setTimeout(r, 2_100));
    await untilHit(anon);
    await untilHit(anon, '/?page=x');
    await untilHit(anon, '/?page=y');
    // A named path is rendered anew in place (a HIT of the new copy); other pages are deleted (MISS).
    expect(await wp.purgeCache(one, ['/?page=x'])).toBe(1);
    expect(xcache(await anon.get('/'))).toBe('HIT');
    expect(xcache(await anon.get('/?page=x'))).toBe('HIT');
    expect(await wp.purgeCache(one)).toBeGreaterThan(0);
    expect(xcache(await anon.get('/'))).toBe('HIT');
    expect(xcache(await anon.get('/?page=y'))).toBe('MISS');
  });

  it("cache files are the edge's: a tenant's PHP cannot read them, nor its neighbour's purge key", async () => {
    const cacheDir = t.runtime.layout.edgeCache;
    expect((await stat(cacheDir)).mode & 0o777).toBe(0o700);
    const user = t.runtime.tenantUser('acme')!;
    const betaKey = purgeKeyFile(t.runtime.tenantPaths('beta').dir);
    const probe = `echo json_encode([is_readable(${JSON.stringify(cacheDir)}), @scandir(${JSON.stringify(cacheDir)}) !== false, @file_get_contents(${JSON.stringify(betaKey)}) !== false]);`;
    const { stdout } = await sh('runuser', ['-u', user, '--', 'php', '-r', probe]);
    expect(JSON.parse(stdout)).toEqual([false, false, false]);
  });

  it("the purge socket refuses a wrong key and another tenant's host", async () => {
    const socket = t.runtime.layout.purgeSocket;
    const acmeKey = (await readFile(purgeKeyFile(t.runtime.tenantPaths('acme').dir), 'utf8')).trim();
    const b = edgeClient(t.edgePort, beta.hostnames[0]!);
    await untilHit(b);
    expect(await askPurge(socket, { tenant: 'acme', key: acmeKey, host: beta.hostnames[0] })).toMatchObject({ ok: false, error: expect.stringContaining('not routed to tenant acme') });
    expect(await askPurge(socket, { tenant: 'beta', key: acmeKey, host: beta.hostnames[0] })).toMatchObject({ ok: false, error: 'wrong purge key' });
    expect(await askPurge(socket, { tenant: '../beta', key: acmeKey, host: beta.hostnames[0] })).toMatchObject({ ok: false });
    expect(xcache(await b.get('/'))).toBe('HIT');
    // Its own host: purged, with the site's other names.
    expect(await askPurge(socket, { tenant: 'acme', key: acmeKey, host: one.hostnames[1] })).toMatchObject({ ok: true });
  });
});
