/**
 * The platform's own data against a hostile tenant: PHP put on disk in tenant alpha's content
 * (as alpha, the way a plugin upload lands) and requested through the edge, so it runs in alpha's
 * php-fpm pool as alpha's Unix user. It tries to read the state database and its WAL, the logs,
 * the secrets, the JWT signing key, the edge's logs, MariaDB's files and tenant bravo's files, to
 * use the opcode cache's API, and to have the edge serve symlinks out of its tree. All of it fails,
 * while WordPress core's static files and alpha's own files are still served.
 */
import { chmod, chown, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/adapters/runtime/local/local-runtime.js';
import { startLocalPlatform, type LocalPlatform } from '../support/platform-local-harness.js';

const isRoot = process.getuid?.() === 0;

/** A PHP single-quoted literal of a path made by the test (no quote or backslash in it). */
const php = (s: string) => {
  if (/['\\]/.test(s)) throw new Error(`unexpected character in ${s}`);
  return `'${s}'`;
};

describe.runIf(isRoot)('platform-private data and other tenants, against a tenant\'s PHP', () => {
  let p: LocalPlatform;
  let runtime: LocalRuntime;
  const alphaHost = 'alpha.wpdev.localhost';
  const bravoHost = 'bravo.wpdev.localhost';

  /** Writes a file into a tenant's content as that tenant (owner tenant, group web, 0640). */
  const putAsTenant = async (tenantId: string, name: string, text: string) => {
    const owner = (await runtime.tenantOwner(tenantId))!;
    const file = join(runtime.tenantPaths(tenantId).content, name);
    await writeFile(file, text);
    await chown(file, owner.uid, owner.webGid);
    await chmod(file, 0o640);
  };

  beforeAll(async () => {
    p = await startLocalPlatform();
    for (const tenantName of ['alpha', 'bravo']) {
      const created = await p.api('POST', '/v1.0/tenants', { tenantName });
      expect(created.status).toBe(202);
      expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    }
    runtime = p.platform.runtime as LocalRuntime;
    await putAsTenant('bravo', 'bravo-secret.txt', 'BRAVO-SECRET\n');
    await putAsTenant('alpha', 'alpha-own.txt', 'ALPHA-OWN\n');
  }, 180_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('cannot read state (with -wal/-shm), logs, secrets, keys, edge logs, MariaDB, php-fpm files or the other tenant', async () => {
    const d = p.dataDir;
    const layout = runtime.layout;
    const bravo = runtime.tenantPaths('bravo');
    const secretFile = (await readdir(join(d, 'secrets'))).find((f) => f.endsWith('.secret'))!;
    const shardConf = (await readdir(layout.phpFpmDir)).find((f) => /^shard-.*\.conf$/.test(f))!;
    const targets = [
      join(d, 'state.db'),
      join(d, 'state.db-wal'),
      join(d, 'state.db-shm'),
      join(d, 'logs', 'bbws.jsonl'),
      join(d, 'secrets', 'master.key'),
      join(d, 'secrets', secretFile),
      join(d, 'jwt.key'),
      join(d, 'platform.json'),
      join(layout.edgeLogs, 'access.log'),
      join(layout.edgeLogs, 'error.log'),
      join(layout.edgeDir, 'nginx.conf'),
      layout.mariadbErrorLog,
      join(layout.mariadbData, 'ibdata1'),
      join(layout.phpFpmDir, shardConf),
      join(layout.phpFpmPools, 'dev-bravo-service.json'),
      bravo.wpConfig,
      join(bravo.content, 'bravo-secret.txt'),
      bravo.phpErrorLog,
    ];
    // Every target exists (as root sees it): a "denied" must not be a "missing".
    for (const f of targets) expect(existsSync(f), f).toBe(true);
    const dirs = [d, join(d, 'secrets'), join(d, 'logs'), layout.edgeLogs, layout.mariadbDir, layout.tenantsDir, bravo.content];
    await putAsTenant(
      'alpha',
      'probe.php',
      `<?php
header('Content-Type: application/json');
$out = array('uid' => function_exists('posix_geteuid') ? posix_geteuid() : -1, 'read' => array(), 'list' => array());
foreach (array(${targets.map(php).join(', ')}) as $f) { $out['read'][$f] = @file_get_contents($f, false, null, 0, 64) === false ? 'denied' : 'READ'; }
foreach (array(${dirs.map(php).join(', ')}) as $dir) { $out['list'][$dir] = @scandir($dir) === false ? 'denied' : 'LISTED'; }
echo json_encode($out);
`,
    );
    const res = await p.edge(alphaHost, '/wp-content/probe.php');
    expect(res.status).toBe(200);
    const out = JSON.parse(res.body) as { uid: number; read: Record<string, string>; list: Record<string, string> };
    expect(out.uid).toBe((await runtime.tenantOwner('alpha'))!.uid);
    expect(out.read).toEqual(Object.fromEntries(targets.map((f) => [f, 'denied'])));
    expect(out.list).toEqual(Object.fromEntries(dirs.map((f) => [f, 'denied'])));
  });

  it('the platform\'s files are private on disk: data dir entered only, state/logs/keys 0600 in 0700 dirs', async () => {
    const mode = async (f: string) => (await stat(f)).mode & 0o777;
    const d = p.dataDir;
    expect(await mode(d)).toBe(0o711);
    for (const f of ['state.db', 'state.db-wal', 'state.db-shm', 'jwt.key', 'platform.json', 'logs/bbws.jsonl', 'secrets/master.key']) expect(await mode(join(d, f)), f).toBe(0o600);
    for (const f of ['logs', 'secrets']) expect(await mode(join(d, f)), f).toBe(0o700);
    expect(await mode(runtime.layout.edgeLogs)).toBe(0o700);
    expect(await mode(join(runtime.layout.edgeLogs, 'access.log'))).toBe(0o600);
    expect(await mode(runtime.layout.mariadbDir)).toBe(0o700);
  });

  it('the edge serves no symlink out of the tenant\'s tree; core\'s and the tenant\'s own files still are', async () => {
    const bravo = runtime.tenantPaths('bravo');
    const links: Record<string, string> = {
      'leak-dir': bravo.content,
      'leak-file.txt': join(bravo.content, 'bravo-secret.txt'),
      'leak-state': join(p.dataDir, 'state.db'),
      'leak-passwd': '/etc/passwd',
    };
    await putAsTenant(
      'alpha',
      'links.php',
      `<?php
foreach (array(${Object.entries(links).map(([name, target]) => `${php(name)} => ${php(target)}`).join(', ')}) as $name => $target) {
  @unlink(__DIR__ . '/uploads/' . $name);
  echo symlink($target, __DIR__ . '/uploads/' . $name) ? 'made ' : 'FAILED ';
}
`,
    );
    expect((await p.edge(alphaHost, '/wp-content/links.php')).body.trim()).toBe('made made made made');
    // uploads/ is the one place under wp-content the tenant may write (wordpress.ts).
    for (const path of ['/wp-content/uploads/leak-dir/bravo-secret.txt', '/wp-content/uploads/leak-file.txt', '/wp-content/uploads/leak-state', '/wp-content/uploads/leak-passwd']) {
      const res = await p.edge(alphaHost, path);
      expect(res.status, path).not.toBe(200);
      expect(res.body, path).not.toMatch(/BRAVO-SECRET|SQLite format|root:x:0:0/);
    }
    // The core theme is served (its link in the root-owned themes/, or Debian's copy as a fallback).
    const theme = await p.edge(alphaHost, '/wp-content/themes/twentytwentythree/style.css');
    expect(theme.status).toBe(200);
    expect(theme.body).toContain('Theme Name: Twenty Twenty-Three');
    // Core (including a file Debian ships as a symlink), the tenant's own files, the other tenant under its own host.
    expect(realpathSync('/usr/share/wordpress/wp-includes/js/underscore.min.js')).not.toBe('/usr/share/wordpress/wp-includes/js/underscore.min.js');
    for (const path of ['/wp-includes/css/dashicons.min.css', '/wp-includes/js/underscore.min.js']) expect((await p.edge(alphaHost, path)).status, path).toBe(200);
    expect(await p.edge(alphaHost, '/wp-content/alpha-own.txt')).toMatchObject({ status: 200, body: 'ALPHA-OWN\n' });
    expect(await p.edge(bravoHost, '/wp-content/bravo-secret.txt')).toMatchObject({ status: 200, body: 'BRAVO-SECRET\n' });
    expect((await p.edge(bravoHost, '/wp-content/uploads/leak-file.txt')).body).not.toContain('BRAVO-SECRET');
  });

  it('the opcode cache\'s API is refused to a tenant\'s scripts (status, invalidate)', async () => {
    const bravoConfig = realpathSync(runtime.tenantPaths('bravo').wpConfig);
    await putAsTenant(
      'alpha',
      'opcache.php',
      `<?php
header('Content-Type: application/json');
echo json_encode(array('loaded' => function_exists('opcache_get_status'), 'status' => @opcache_get_status(false) !== false, 'scripts' => @opcache_get_status(true) !== false, 'invalidate' => @opcache_invalidate(${php(bravoConfig)}, true), 'reset' => @opcache_reset()));
`,
    );
    const res = await p.edge(alphaHost, '/wp-content/opcache.php');
    expect(JSON.parse(res.body)).toEqual({ loaded: true, status: false, scripts: false, invalidate: false, reset: false });
  });
});
