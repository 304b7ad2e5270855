/**
 * Clone, promote, undo and failure-atomicity against a real tenant: MariaDB (as the tenant's own
 * database user), WordPress loaded by php-cli as the tenant's Unix user, real upload files.
 * "Byte for byte" is checked with our own digest of every row of every table (plus SHOW CREATE
 * TABLE, so definitions and AUTO_INCREMENT counters too) — independent of the CHECKSUM TABLE
 * that restore uses to verify itself.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { backupSiteData, deleteSiteBackup, digestTree, restoreSiteData } from '../../src/adapters/wordpress/local/backup.js';
import { cloneSiteData, copyTables, dropSiteTables, listTables, prefixOf, table } from '../../src/adapters/wordpress/local/clone.js';
import { createTenantAccess, type LocalTenantAccess } from '../../src/adapters/wordpress/local/create-tenant-access.js';
import { promoteSiteData, promoteWithBackup } from '../../src/adapters/wordpress/local/promote.js';
import { siteHomeUrl } from '../../src/adapters/wordpress/local/sites-map.js';
import type { SiteRef } from '../../src/ports/wordpress.js';
import { runSteps, spec, startTestRuntime, type TestRuntime } from '../support/local-runtime-harness.js';

const TENANT = 'acmeclone';
const prod: SiteRef = { tenantId: TENANT, siteId: 'prodsite01', hostnames: ['www.acme-prod.wpdev.localhost'] };
const staging: SiteRef = { tenantId: TENANT, siteId: 'stagsite01', hostnames: ['staging.acme-prod.wpdev.localhost'] };

let t: TestRuntime;
let access: LocalTenantAccess;
const url = (s: SiteRef) => siteHomeUrl(s.hostnames[0], t.edgePort);

/** Runs PHP with WordPress loaded for `site`; the script echoes JSON. */
async function wp<T = unknown>(site: SiteRef, code: string, input?: unknown): Promise<T> {
  const out = await access.php(site, code, input, { loadWordPress: true });
  return JSON.parse(out) as T;
}

async function install(site: SiteRef, title: string): Promise<void> {
  await access.php(
    site,
    `define('WP_INSTALLING', true); require_once ABSPATH . 'wp-load.php'; require_once ABSPATH . 'wp-admin/includes/upgrade.php';
     wp_install($input['title'], 'admin', 'admin@example.com', true, '', 'pw-123456789');`,
    { title },
  );
}

/** sha256 over SHOW CREATE TABLE and every row (primary-key order) of every table of the site. */
async function siteDigest(site: SiteRef): Promise<string> {
  const h = createHash('sha256');
  const prefix = prefixOf('s', site.siteId);
  for (const s of await listTables(access, prefix)) {
    const [create] = await access.query<Record<string, string>>(`SHOW CREATE TABLE ${table(prefix, s)}`);
    h.update(`${s}\n${create['Create Table']}\n`);
    for (const row of await access.query(`SELECT * FROM ${table(prefix, s)} ORDER BY 1, 2`)) h.update(JSON.stringify(row, (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v)));
  }
  return h.digest('hex');
}

const SERIAL_PHP = `echo json_encode(['serial' => get_option('bbws_test_serial'), 'siteurl' => get_option('siteurl'), 'home' => get_option('home'),
  'blog_public' => get_option('blog_public'), 'blogname' => get_option('blogname'),
  'roles' => get_userdata(1)->roles, 'titles' => array_map(fn($p) => $p->post_title, get_posts(['numberposts' => -1, 'post_type' => 'post', 'orderby' => 'ID', 'order' => 'ASC'])),
  'content' => implode("\\n", array_map(fn($p) => $p->post_content . $p->guid, get_posts(['numberposts' => -1, 'post_type' => 'any'])))]);`;

interface SiteView {
  serial: { url: string; nested: { home: string; n: number }; json: string; inner: string } | false;
  siteurl: string;
  home: string;
  blog_public: string;
  blogname: string;
  roles: string[];
  titles: string[];
  content: string;
}

describe('clone and promote (real MariaDB + WordPress)', () => {
  beforeAll(async () => {
    t = await startTestRuntime('dev');
    await runSteps(t.runtime.provisionSteps(spec(TENANT)));
    access = await createTenantAccess(t.runtime, createLocalSecrets({ dir: join(t.dataDir, 'secrets') }), TENANT);
    await install(prod, 'Acme Production');
    await wp(
      prod,
      `foreach (['First', 'Second'] as $t) wp_insert_post(['post_title' => $t, 'post_status' => 'publish', 'post_content' => '<a href="' . home_url('/about/') . '">about</a> ü']);
       update_option('bbws_test_serial', ['url' => home_url('/x'), 'nested' => ['home' => home_url(), 'n' => 5], 'json' => wp_json_encode(['u' => home_url('/j')]), 'inner' => serialize([home_url('/deep')])]);
       update_option('blog_public', '1');
       $dir = wp_upload_dir()['basedir'] . '/2024/01'; wp_mkdir_p($dir); file_put_contents($dir . '/hello.txt', 'hello from production');
       echo json_encode(true);`,
    );
    // Plugin-style tables: one without a primary key (two rows with the same value), one with a composite key.
    const p = prefixOf('s', prod.siteId);
    const ser = (v: string) => `a:1:{s:1:"u";s:${Buffer.byteLength(v)}:"${v}";}`;
    await access.query(`CREATE TABLE ${table(p, 'plugin_log')} (msg LONGTEXT, note VARCHAR(20)) DEFAULT CHARSET=utf8mb4`);
    await access.query(`INSERT INTO ${table(p, 'plugin_log')} VALUES (?, 'a'), (?, 'b'), (?, 'c')`, [ser(url(prod)), ser(url(prod)), 'no url']);
    await access.query(`CREATE TABLE ${table(p, 'plugin_kv')} (a INT, b VARCHAR(50), v TEXT, PRIMARY KEY (a, b)) DEFAULT CHARSET=utf8mb4`);
    for (let i = 0; i < 1200; i++) await access.query(`INSERT INTO ${table(p, 'plugin_kv')} VALUES (?, ?, ?)`, [i % 7, `k${i}`, i % 2 ? `${url(prod)}/kv/${i}` : 'plain']);
  });

  it('refuses table and prefix material that is not a validated id or plain identifier', () => {
    for (const bad of ['', 'ABCDEFGHIJ', 'abc', 'abcdefghij`', 'abcdefghi;', '../../etc1']) expect(() => prefixOf('s', bad)).toThrow();
    expect(table('sabcdefghij_', 'posts')).toBe('`sabcdefghij_posts`');
    for (const bad of ['posts`; DROP TABLE x; --', 'a b', 'x'.repeat(53), '']) expect(() => table('sabcdefghij_', bad)).toThrow();
    expect(() => table('xabcdefghij_', 'posts')).toThrow();
  });
  afterAll(async () => {
    await access?.close();
    await t?.cleanup();
  });

  it('clones tables and uploads with every URL rewritten, leaving the source untouched', async () => {
    const before = await siteDigest(prod);
    await cloneSiteData(access, prod, staging, { fromUrl: url(prod), toUrl: url(staging) });
    await cloneSiteData(access, prod, staging, { fromUrl: url(prod), toUrl: url(staging) }); // idempotent re-run
    expect(await siteDigest(prod)).toBe(before);

    const v = await wp<SiteView>(staging, SERIAL_PHP);
    expect(v.siteurl).toBe(url(staging));
    expect(v.home).toBe(url(staging));
    expect(v.roles).toEqual(['administrator']); // s<prod>_capabilities renamed to s<staging>_capabilities
    expect(v.titles).toEqual(['Hello world!', 'First', 'Second']);
    expect(v.serial).toEqual({ url: `${url(staging)}/x`, nested: { home: url(staging), n: 5 }, json: JSON.stringify({ u: `${url(staging)}/j` }).replace(/\//g, '\\/'), inner: expect.any(String) });
    expect(v.serial && v.serial.inner).toBe(`a:1:{i:0;s:${url(staging).length + 5}:"${url(staging)}/deep";}`);
    expect(v.content).toContain(`${url(staging)}/about/`);
    expect(v.content).not.toContain(url(prod));
    expect(await readFile(join(access.uploadsDir(staging.siteId), '2024/01/hello.txt'), 'utf8')).toBe('hello from production');
    expect(await listTables(access, prefixOf('w', staging.siteId))).toEqual([]);
    const sp = prefixOf('s', staging.siteId);
    const log = await access.query<{ msg: string; note: string }>(`SELECT msg, note FROM ${table(sp, 'plugin_log')} ORDER BY note`);
    const expected = `a:1:{s:1:"u";s:${url(staging).length}:"${url(staging)}";}`;
    expect(log).toEqual([{ msg: expected, note: 'a' }, { msg: expected, note: 'b' }, { msg: 'no url', note: 'c' }]);
    const kv = await access.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table(sp, 'plugin_kv')} WHERE v LIKE CONCAT(?, '/kv/%')`, [url(staging)]);
    expect(Number(kv[0].n)).toBe(600);
  });

  it('promotes staging over production (database + uploads), keeping production identity; undo restores it byte for byte', async () => {
    await wp(
      staging,
      `wp_insert_post(['post_title' => 'Staging only', 'post_status' => 'publish', 'post_content' => '<img src="' . home_url('/wp-content/uploads/sites/stagsite01/new.png') . '">']);
       update_option('blog_public', '0'); update_option('blogname', 'Acme (new look)');
       file_put_contents(wp_upload_dir()['basedir'] . '/new.txt', 'made on staging'); echo json_encode(true);`,
    );
    const before = await siteDigest(prod);
    const uploadsBefore = await digestTree(access.uploadsDir(prod.siteId));
    const stagingBefore = await siteDigest(staging);

    const backupId = await promoteWithBackup(access, staging, prod, ['database', 'uploads'], { fromUrl: url(staging), toUrl: url(prod) });
    const v = await wp<SiteView>(prod, SERIAL_PHP);
    expect(v.titles).toEqual(['Hello world!', 'First', 'Second', 'Staging only']);
    expect(v.siteurl).toBe(url(prod));
    expect(v.home).toBe(url(prod));
    expect(v.blog_public).toBe('1'); // production stays indexable
    expect(v.blogname).toBe('Acme (new look)'); // the title follows staging
    expect(v.roles).toEqual(['administrator']);
    expect(v.serial).toMatchObject({ url: `${url(prod)}/x`, nested: { home: url(prod), n: 5 } });
    expect(v.content).not.toContain(url(staging));
    expect(await readFile(join(access.uploadsDir(prod.siteId), 'new.txt'), 'utf8')).toBe('made on staging');
    expect(await siteDigest(staging)).toBe(stagingBefore);

    await restoreSiteData(access, prod, backupId);
    expect(await siteDigest(prod)).toBe(before);
    expect(await digestTree(access.uploadsDir(prod.siteId))).toEqual(uploadsBefore);
    await restoreSiteData(access, prod, backupId); // idempotent
    expect(await siteDigest(prod)).toBe(before);
    await deleteSiteBackup(access, prod, backupId);
    expect(await listTables(access, prefixOf('b', backupId))).toEqual([]);
  });

  for (const failAt of ['database-copied', 'uploads', 'database-swapped']) {
    it(`a failure injected at "${failAt}" leaves production as it was`, async () => {
      const before = await siteDigest(prod);
      const uploadsBefore = await digestTree(access.uploadsDir(prod.siteId));
      const failing = promoteWithBackup(access, staging, prod, ['database', 'uploads'], { fromUrl: url(staging), toUrl: url(prod) }, {
        onStep: (step) => {
          if (step === failAt) throw new Error(`injected failure at ${step}`);
        },
      });
      await expect(failing).rejects.toThrow(`injected failure at ${failAt}`);
      expect(await siteDigest(prod)).toBe(before);
      expect(await digestTree(access.uploadsDir(prod.siteId))).toEqual(uploadsBefore);
      expect(await listTables(access, prefixOf('w', prod.siteId))).toEqual([]);
    });
  }

  it('restore refuses a backup whose tables were tampered with, and touches nothing', async () => {
    const backupId = await backupSiteData(access, prod);
    const before = await siteDigest(prod);
    await access.query(`UPDATE ${table(prefixOf('b', backupId), 'options')} SET option_value = 'x' WHERE option_name = 'blogname'`);
    await expect(restoreSiteData(access, prod, backupId)).rejects.toThrow(/checksum mismatch/);
    expect(await siteDigest(prod)).toBe(before);
    await deleteSiteBackup(access, prod, backupId);
  });

  it('promotes only the theme and active plugins when the scope says so', async () => {
    await wp(
      staging,
      `update_option('theme_mods_twentytwentythree', ['header_image' => home_url('/h.png')]); echo json_encode(true);`,
    );
    // By SQL: the guard mu-plugin keeps plugins that are not the marketplace's out of the option
    // when WordPress writes or reads it (render-guard-plugin.ts); this test is about the copy.
    const activePlugins = (site: SiteRef) => table(prefixOf('s', site.siteId), 'options');
    await access.query(`UPDATE ${activePlugins(staging)} SET option_value = ? WHERE option_name = 'active_plugins'`, ['a:1:{i:0;s:9:"hello.php";}']);
    const posts = async () => (await access.query(`SELECT * FROM ${table(prefixOf('s', prod.siteId), 'posts')} ORDER BY ID`)).length;
    const postsBefore = await posts();
    const backupId = await promoteWithBackup(access, staging, prod, ['themes', 'plugins'], { fromUrl: url(staging), toUrl: url(prod) });
    const v = await wp<{ mods: { header_image: string }; stylesheet: string }>(
      prod,
      `echo json_encode(['mods' => get_option('theme_mods_twentytwentythree'), 'stylesheet' => get_option('stylesheet')]);`,
    );
    expect(v).toEqual({ mods: { header_image: `${url(prod)}/h.png` }, stylesheet: 'twentytwentythree' });
    const [plugins] = await access.query<{ v: string }>(`SELECT option_value AS v FROM ${activePlugins(prod)} WHERE option_name = 'active_plugins'`);
    expect(plugins?.v).toBe('a:1:{i:0;s:9:"hello.php";}');
    expect(await posts()).toBe(postsBefore);
    await deleteSiteBackup(access, prod, backupId);
  });

  it('a tenant who swaps uploads/sites for a symlink can make neither clone write nor backup read outside its directory', async () => {
    // Root-only files standing for another tenant's uploads; the tenant owns uploads/ and may rearrange it.
    const victim = await mkdtemp(join(tmpdir(), 'bbws-victim-'));
    await mkdir(join(victim, prod.siteId, '2024'), { recursive: true });
    await writeFile(join(victim, prod.siteId, '2024', 'secret.txt'), 'victim secret');
    const sites = dirname(access.uploadsDir(prod.siteId));
    await rename(sites, `${sites}.real`);
    await symlink(victim, sites);
    try {
      await expect(cloneSiteData(access, prod, staging, { fromUrl: url(prod), toUrl: url(staging) })).rejects.toThrow();
      await expect(backupSiteData(access, prod)).rejects.toThrow();
      expect(await readdir(victim)).toEqual([prod.siteId]); // nothing written beside the victim's files
      const copied = (await readdir(access.backupsDir, { recursive: true })).filter((f) => f.endsWith('secret.txt'));
      expect(copied).toEqual([]); // and nothing of theirs copied into a backup
    } finally {
      await rm(sites);
      await rename(`${sites}.real`, sites);
      await rm(victim, { recursive: true, force: true });
    }
  });

  it('scratch work a kill leaves at each step of a promote is removed by the next promote, and by an undo', async () => {
    // What a kill -9 leaves (reproduced on disk as the steps leave it, since the step code is ours):
    // during the backup: b<id>_ tables and a backup directory without a manifest; after
    // "database-copied": half-built w<target>_ tables; during the swap: o<target>_ tables.
    const leaveScratch = async (killedId: string) => {
      await mkdir(join(access.backupsDir, prod.siteId, killedId, 'uploads'), { recursive: true });
      await copyTables(access, prefixOf('s', prod.siteId), prefixOf('b', killedId));
      await copyTables(access, prefixOf('s', staging.siteId), prefixOf('w', prod.siteId));
      await copyTables(access, prefixOf('s', prod.siteId), prefixOf('o', prod.siteId));
    };
    const scratchLeft = async (killedId: string) => ({
      backupTables: await listTables(access, prefixOf('b', killedId)),
      backupDir: await readdir(join(access.backupsDir, prod.siteId)).then((ids) => ids.includes(killedId)),
      work: await listTables(access, prefixOf('w', prod.siteId)),
      old: await listTables(access, prefixOf('o', prod.siteId)),
    });
    const none = { backupTables: [], backupDir: false, work: [], old: [] };

    await leaveScratch('killedbk01');
    expect((await scratchLeft('killedbk01')).backupTables.length).toBeGreaterThan(0);
    const before = await siteDigest(prod);
    // The next promote (here of theme and plugins only: no tables of its own to build).
    const backupId = await promoteWithBackup(access, staging, prod, ['themes', 'plugins'], { fromUrl: url(staging), toUrl: url(prod) });
    expect(await scratchLeft('killedbk01')).toEqual(none);

    // The undo of that promote cleans up after a killed one too, and restores production.
    await leaveScratch('killedbk02');
    await restoreSiteData(access, prod, backupId);
    expect(await scratchLeft('killedbk02')).toEqual(none);
    expect(await siteDigest(prod)).toBe(before);
    await deleteSiteBackup(access, prod, backupId);
  });

  for (const killAt of ['backup-tables-copied', 'database-copied', 'uploads', 'database-swapped']) {
    it(`kill -9 at "${killAt}" of a promote: the next promote leaves no scratch work of it`, async () => {
      const urls = { fromUrl: url(staging), toUrl: url(prod) };
      const input = {
        tenantId: TENANT,
        env: 'dev',
        edgePort: t.edgePort,
        paths: t.runtime.tenantPaths(TENANT),
        owner: await t.runtime.tenantOwner(TENANT),
        secretsDir: join(t.dataDir, 'secrets'),
        from: staging,
        to: prod,
        scope: ['database', 'uploads'],
        urls,
        killAt,
      };
      const backupIds = async () => (await readdir(join(access.backupsDir, prod.siteId)).catch(() => [] as string[])).sort();
      const earlier = await backupIds();
      const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../support/promote-child.ts'), JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((r) => child.once('exit', r));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d) => (String(d).includes(`AT ${killAt}`) ? resolve() : undefined));
        child.once('exit', (code) => reject(new Error(`promote child exited (${code}) before ${killAt}`)));
      });
      child.kill('SIGKILL');
      await exited;
      // The killed promote's backup is there, complete or not.
      expect((await backupIds()).filter((id) => !earlier.includes(id))).toHaveLength(1);

      // The next promote; the site record refers to no backup (the killed one never recorded its own).
      const backupId = await backupSiteData(access, prod, { keep: null });
      expect(await backupIds()).toEqual([backupId]);
      await promoteSiteData(access, staging, prod, ['database', 'uploads'], urls);
      const tables = (await access.query<{ name: string }>('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()')).map((r) => String(r.name));
      const scratch = (n: string) => n.startsWith(prefixOf('w', prod.siteId)) || n.startsWith(prefixOf('o', prod.siteId)) || (/^b[a-z0-9]{10}_/.test(n) && !n.startsWith(prefixOf('b', backupId)));
      expect(tables.filter(scratch)).toEqual([]);
      await deleteSiteBackup(access, prod, backupId);
      expect(await backupIds()).toEqual([]);
    });
  }

  it('dropSiteTables undoes a clone', async () => {
    await dropSiteTables(access, staging.siteId);
    expect(await listTables(access, prefixOf('s', staging.siteId))).toEqual([]);
  });
});
