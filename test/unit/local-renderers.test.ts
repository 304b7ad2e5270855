/**
 * The local runtime's config renderers are pure: same input, same text. The golden files in
 * test/fixtures/local-runtime/ are the reviewed output; a change to a renderer shows up as a
 * diff of them (update with `npx vitest run -u test/unit/local-renderers.test.ts`, then review).
 */
import { describe, expect, it } from 'vitest';
import { renderEdgeConfig, renderHtpasswdLine } from '../../src/adapters/runtime/local/render-nginx.js';
import { renderPool, renderShardConfig, type PoolInput } from '../../src/adapters/runtime/local/render-php-fpm.js';
import { renderPrepend, renderWpConfig, SALT_KEYS, type Salts } from '../../src/adapters/runtime/local/render-wp-config.js';
import { sshaHash } from '../../src/adapters/runtime/local/edge-basic-auth-files.js';
import { renderSitesMap, siteHomeUrl } from '../../src/adapters/wordpress/local/sites-map.js';
import { renderGuardPlugin } from '../../src/adapters/wordpress/local/render-guard-plugin.js';
import { renderBlocklist } from '../../src/adapters/wordpress/local/blocklist.js';
import { parseSerializedStrings } from '../../src/adapters/wordpress/local/local-wordpress.js';
import { parsePhpResult, RESULT_MARKER } from '../../src/adapters/wordpress/local/php-scripts.js';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** `php -l` on rendered PHP: a golden file that is not valid PHP is no use. */
async function lint(text: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bbws-lint-'));
  try {
    await writeFile(join(dir, 'f.php'), text);
    await promisify(execFile)('php', ['-n', '-l', join(dir, 'f.php')]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const FIX = '../fixtures/local-runtime';
const R = '/var/lib/bbws/runtime';

const edge = {
  edgeDir: `${R}/edge`,
  routesDir: `${R}/edge/routes`,
  socketsDir: `${R}/edge/sockets`,
  suspendedDir: `${R}/edge/suspended`,
  listenAddress: '0.0.0.0',
  port: 8088,
  workerUser: { user: 'bw1a2b-web', group: 'bw1a2b-web' },
  basicAuth: { realm: 'BBWS', userFile: `${R}/edge/htpasswd`, previousUserFile: `${R}/edge/htpasswd.previous` },
  workerProcesses: 2,
  mimeTypesFile: '/etc/nginx/mime.types',
  wordpressCore: '/usr/share/wordpress',
};

const pool: PoolInput = {
  name: 'sit-acme-service',
  unixUser: { user: 'bw1a2b-acme', group: 'bw1a2b-acme', listenGroup: 'bw1a2b-web' },
  socket: `${R}/php-fpm/run/sit-acme-service.sock`,
  maxChildren: 4,
  prependFile: `${R}/tenants/acme/prepend.php`,
  errorLog: `${R}/tenants/acme/logs/php-error.log`,
  tmpDir: `${R}/tenants/acme/tmp`,
  memoryLimitMb: 256,
};

const guard = { blocklistFile: `${R}/tenants/acme/plugin-blocklist.json`, manifestFile: `${R}/tenants/acme/plugin-manifest.json`, coreThemesDir: '/usr/share/wordpress/wp-content/themes', defaultTheme: 'twentytwentythree' };
const salts = Object.fromEntries(SALT_KEYS.map((k, i) => [k, `salt-${i}-${'x'.repeat(40)}`])) as Salts;

describe('local runtime renderers (golden files)', () => {
  it('edge config with basic auth (sit/prod)', async () => {
    await expect(renderEdgeConfig(edge)).toMatchFileSnapshot(`${FIX}/nginx-sit.conf`);
  });
  it('edge config without basic auth, not root (dev)', async () => {
    await expect(renderEdgeConfig({ ...edge, basicAuth: null, workerUser: null, listenAddress: '127.0.0.1' })).toMatchFileSnapshot(`${FIX}/nginx-dev.conf`);
  });
  it('php-fpm pool', async () => {
    await expect(renderPool(pool)).toMatchFileSnapshot(`${FIX}/pool-sit-acme.conf`);
  });
  it('php-fpm shard with two pools, sorted by name', async () => {
    const text = renderShardConfig({ shard: 3, pidFile: `${R}/php-fpm/run/shard-3.pid`, errorLog: `${R}/php-fpm/shard-3.log`, pools: [{ ...pool, name: 'sit-zulu-service' }, pool] });
    await expect(text).toMatchFileSnapshot(`${FIX}/shard-3.conf`);
    expect(text.indexOf('[sit-acme-service]')).toBeLessThan(text.indexOf('[sit-zulu-service]'));
  });
  it('wp-config.php of a scratch copy (backup verify): its marker header, the scratch host as the default home', async () => {
    const text = renderWpConfig({ dbName: 'bbws_scratch_abcdefghijkl', dbUser: 'bbws_scratch_abcdefghijkl', dbPassword: 'pw', dbHost: '127.0.0.1:33061', contentDir: `${R}/tenants/acme/verify/abcdefghijkl/content`, salts, sitesFile: `${R}/tenants/acme/verify/abcdefghijkl/sites-map.json`, muPluginsDir: `${R}/tenants/acme/mu-plugins`, scratch: { id: 'abcdefghijkl', home: 'http://verify-abcdefghijkl.bbws.invalid:8088' } });
    await expect(text).toMatchFileSnapshot(`${FIX}/wp-config-scratch.php`);
    await lint(text);
    const base = { dbName: 'a', dbUser: 'b', dbPassword: 'c', dbHost: 'd', contentDir: '/x', salts };
    expect(() => renderWpConfig({ ...base, scratch: { id: "a');system('id", home: 'http://x' } })).toThrow(/unsafe scratch/);
    expect(() => renderWpConfig({ ...base, scratch: { id: 'abcdefghijkl', home: "http://x');system('id" } })).toThrow(/unsafe scratch/);
  });
  it('wp-config.php', async () => {
    const text = renderWpConfig({ dbName: 'acme_db', dbUser: 'acme_user', dbPassword: "p'w\\d", dbHost: '127.0.0.1:33061', contentDir: `${R}/tenants/acme/content`, salts, sitesFile: `${R}/tenants/acme/sites-map.json`, muPluginsDir: `${R}/tenants/acme/mu-plugins` });
    await expect(text).toMatchFileSnapshot(`${FIX}/wp-config.php`);
    // The marketplace is the only way in for code: no upload, update or editor in wp-admin.
    expect(text).toContain("define('DISALLOW_FILE_MODS', true);");
    expect(text).toContain("define('DISALLOW_FILE_EDIT', true);");
    expect(text).toContain("define('DB_PASSWORD', 'p\\'w\\\\d');");
    expect(text).toContain("define('DISABLE_WP_CRON', true);");
    await lint(text);
  });
  it('sites map: host → site id and home (edge port unless 80)', async () => {
    const text = renderSitesMap(
      [
        { siteId: 'zzzz000002', hostnames: ['two.acme.wpdev.localhost'] },
        { siteId: 'aaaa000001', hostnames: ['shop.acme.wpdev.localhost', 'www.shop.example'] },
      ],
      8088,
    );
    await expect(text).toMatchFileSnapshot(`${FIX}/sites-map.json`);
    await lint(text);
    expect(renderSitesMap([], 8088)).toBe('{}\n');
    expect(siteHomeUrl('a.example', 80)).toBe('http://a.example');
    expect(siteHomeUrl('a.example', 8088)).toBe('http://a.example:8088');
  });
  it('guard mu-plugin', async () => {
    const text = renderGuardPlugin(guard);
    await expect(text).toMatchFileSnapshot(`${FIX}/bbws-guard.php`);
    await lint(text);
  });
  it('plugin blocklist: canonical JSON', async () => {
    const text = renderBlocklist([
      { slug: 'wp-file-manager', versions: ['6.8', '6.0'], reason: 'CVE-2020-25213' },
      { slug: 'evil-plugin', versions: '*', reason: 'backdoor' },
    ]);
    await expect(text).toMatchFileSnapshot(`${FIX}/plugin-blocklist.json`);
    expect(() => renderBlocklist([{ slug: '../etc', versions: '*', reason: 'x' }])).toThrow(/bad plugin slug/);
  });
  it('WordPress adapter helpers: serialized active_plugins, PHP results', () => {
    expect(parseSerializedStrings('a:2:{i:0;s:21:"bbws-hello/hello.php";i:1;s:9:"hello.php";}')).toEqual(['bbws-hello/hello.php', 'hello.php']);
    expect(parseSerializedStrings('a:0:{}')).toEqual([]);
    expect(parsePhpResult<{ ok: number }>(`Notice: noise\n${RESULT_MARKER}{"ok":1}`, 'x')).toEqual({ ok: 1 });
    expect(() => parsePhpResult('<html><head><style>body{}</style></head><body><p>Plugin is blocked</p></body></html>', 'activate')).toThrow(/activate: PHP ended without a result: Plugin is blocked$/);
  });
  it('prepend.php', async () => {
    const text = renderPrepend({ docroot: `${R}/tenants/acme/www`, contentDir: `${R}/tenants/acme/content`, corePath: '/usr/share/wordpress', installTokenFile: `${R}/tenants/acme/install-token.json`, tmpDir: `${R}/tenants/acme/tmp`, overQuotaFlagFile: `${R}/tenants/acme/over-quota.json`, scratchDocroots: `${R}/tenants/acme/verify` });
    await expect(text).toMatchFileSnapshot(`${FIX}/prepend.php`);
    await lint(text);
  });

  it('renderers refuse values that would change the config structure', () => {
    expect(() => renderEdgeConfig({ ...edge, routesDir: '/x; include /etc/passwd' })).toThrow(/unsafe path/);
    expect(() => renderEdgeConfig({ ...edge, basicAuth: { realm: 'a"; deny all; "', userFile: '/x', previousUserFile: '/y' } })).toThrow(/unsafe realm/);
    expect(() => renderPool({ ...pool, name: 'acme]\n[www' })).toThrow(/unsafe name/);
    expect(() => renderPool({ ...pool, errorLog: '/tmp/x\nphp_admin_value[open_basedir]=/' })).toThrow(/unsafe path/);
    expect(() => renderPool({ ...pool, maxChildren: 0 })).toThrow(/unsafe integer/);
    expect(() => renderWpConfig({ dbName: 'a', dbUser: 'b', dbPassword: 'c', dbHost: 'd', contentDir: '/x', salts: { ...salts, AUTH_KEY: "'); system('id" } })).toThrow(
      /generated secret/,
    );
    expect(() => renderWpConfig({ dbName: 'a', dbUser: 'b', dbPassword: 'c', dbHost: 'd', contentDir: '/x', salts, sitesFile: "/x'; system('id" })).toThrow(/unsafe path/);
    expect(() => renderSitesMap([{ siteId: 'aaaa000001', hostnames: ["x.example' => 1); system('id'); //"] }], 8088)).toThrow(/unsafe hostname/);
    expect(() => renderSitesMap([{ siteId: "a'); system('id", hostnames: ['x.example'] }], 8088)).toThrow(/invalid site id/);
    expect(() => renderSitesMap([{ siteId: 'aaaa000001', hostnames: ['x.example'] }, { siteId: 'bbbb000001', hostnames: ['x.example'] }], 8088)).toThrow(/two sites/);
    expect(() => renderGuardPlugin({ ...guard, blocklistFile: "/x');system('id" })).toThrow(/unsafe path/);
    expect(() => renderGuardPlugin({ ...guard, manifestFile: "/x');system('id" })).toThrow(/unsafe path/);
    expect(() => renderGuardPlugin({ ...guard, defaultTheme: "x');system('id" })).toThrow(/unsafe name/);
    expect(() => renderPrepend({ docroot: '/x', contentDir: '/x', corePath: '/x', tmpDir: '/x', installTokenFile: "/x');system('id", overQuotaFlagFile: '/x/q' })).toThrow(/unsafe path/);
    expect(() => renderPrepend({ docroot: '/x', contentDir: '/x', corePath: '/x', tmpDir: '/x', installTokenFile: '/x/t', overQuotaFlagFile: "/x');system('id" })).toThrow(/unsafe path/);
  });

  it('htpasswd lines use {SSHA} that nginx verifies as salted SHA-1', () => {
    const salt = Buffer.from('0123456789abcdef', 'hex');
    const h = sshaHash('s3cret', salt);
    const raw = Buffer.from(h.slice('{SSHA}'.length), 'base64');
    expect(raw.subarray(20)).toEqual(salt);
    expect(raw.subarray(0, 20)).toEqual(createHash('sha1').update('s3cret').update(salt).digest());
    expect(renderHtpasswdLine('bbws-sit', h)).toBe(`bbws-sit:${h}\n`);
    expect(() => renderHtpasswdLine('bbws-sit\nroot', h)).toThrow();
  });
});
