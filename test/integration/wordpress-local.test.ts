/**
 * The local WordPress adapter against real WordPress (Debian's core), MariaDB, php-fpm and nginx:
 * sites inside a tenant (own host names, tables, uploads), templates, plugins, the guard
 * mu-plugin, cron, and tenant isolation. One runtime for the file; cleanup kills every child by
 * PID and removes the Unix users (test/support/local-runtime-harness.ts).
 */
import { request } from 'node:http';
import { chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFilesOf } from '../support/plugin-zips.js';
import type { SiteRef, TemplateBlueprint } from '../../src/ports/wordpress.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { createLocalWordPress, type LocalWordPress } from '../../src/adapters/wordpress/local/local-wordpress.js';
import { createTenantAccess, type LocalTenantAccess } from '../../src/adapters/wordpress/local/create-tenant-access.js';
import { writeBlocklist } from '../../src/adapters/wordpress/local/blocklist.js';
import { runSteps, silentLogger, spec, startTestRuntime, type TestRuntime } from '../support/local-runtime-harness.js';

const isRoot = process.getuid?.() === 0;

/** GET through the edge with a Host header (fetch cannot set Host). */
function get(t: TestRuntime, host: string, path = '/'): Promise<{ status: number; location: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: t.edgePort, path, method: 'GET', headers: { Host: `${host}:${t.edgePort}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: String(res.headers.location ?? ''), body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

const exists = (p: string) => stat(p).then(() => true, () => false);

describe('local WordPress adapter', () => {
  let t: TestRuntime;
  let wp: LocalWordPress;
  let acme: LocalTenantAccess;
  const latencies: Array<[string, number]> = [];
  let pluginSource: string | undefined;
  const installMs: number[] = [];
  const site1: SiteRef = { tenantId: 'acme', siteId: 'one0000001', hostnames: ['one.acme.wpdev.localhost', 'www.one-example.test'] };
  const site2: SiteRef = { tenantId: 'acme', siteId: 'two0000002', hostnames: ['two.acme.wpdev.localhost'] };
  const betaSite: SiteRef = { tenantId: 'beta', siteId: 'bet0000001', hostnames: ['main.beta.wpdev.localhost'] };
  const admin = (title: string) => ({ title, adminUser: 'owner', adminEmail: 'owner@example.com', adminPassword: 'correct-horse-battery-1' });
  const tables = async (prefix: string) =>
    (await acme.query<{ n: string }>('SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND LEFT(TABLE_NAME, ?) = ?', [prefix.length, prefix])).map((r) => r.n);
  const option = async (siteId: string, name: string) =>
    (await acme.query<{ v: string }>(`SELECT option_value AS v FROM \`s${siteId}_options\` WHERE option_name = ?`, [name]))[0]?.v;

  beforeAll(async () => {
    t = await startTestRuntime('dev');
    await runSteps(t.runtime.provisionSteps(spec('acme')));
    await runSteps(t.runtime.provisionSteps(spec('beta')));
    const secrets = createLocalSecrets({ dir: join(t.dataDir, 'secrets') });
    wp = createLocalWordPress({ runtime: t.runtime, secrets, config: t.runtime.config, logger: silentLogger(), onLatency: (ms, m) => latencies.push([m, ms]) });
    acme = await createTenantAccess(t.runtime, secrets, 'acme');
  });
  afterAll(async () => {
    await wp?.close();
    await acme?.close();
    if (pluginSource) await rm(pluginSource, { recursive: true, force: true });
    await t?.cleanup();
    if (installMs.length) console.log(`installSite ms: ${installMs.join(', ')}; median ${[...installMs].sort((a, b) => a - b)[Math.floor(installMs.length / 2)]}`);
  });

  it('installs a site: its homepage answers 200 with its title through the edge', async () => {
    await wp.routeSite(site1);
    expect(await wp.isInstalled(site1)).toBe(false);
    const started = performance.now();
    await wp.installSite(site1, admin('First Site Title'));
    installMs.push(Math.round(performance.now() - started));
    expect(await wp.isInstalled(site1)).toBe(true);
    const home = await get(t, 'one.acme.wpdev.localhost');
    expect(home.status).toBe(200);
    expect(home.body).toContain('First Site Title');
    // WordPress's own tables under the site's prefix, home with the edge port.
    expect(await tables('sone0000001_')).toEqual(expect.arrayContaining(['sone0000001_options', 'sone0000001_posts', 'sone0000001_users']));
    expect(await option('one0000001', 'home')).toBe(`http://one.acme.wpdev.localhost:${t.edgePort}`);
    // The tenant's default host is untouched: still the installer redirect readiness relies on.
    const dflt = await get(t, 'acme.wpdev.localhost');
    expect(dflt.status).toBe(302);
    expect(dflt.location).toContain('/wp-admin/install.php');
    expect(latencies.some(([m]) => m === 'installSite')).toBe(true);
  });

  it('installSite is idempotent', async () => {
    const started = performance.now();
    await wp.installSite(site1, admin('Another Title'));
    installMs.push(Math.round(performance.now() - started)); // the "already installed" path
    installMs.pop();
    expect(await option('one0000001', 'blogname')).toBe('First Site Title');
  });

  it('a second site of the tenant has its own tables and title, right after routing', async () => {
    await wp.routeSite(site2);
    const started = performance.now();
    await wp.installSite(site2, admin('Second Site Title'));
    installMs.push(Math.round(performance.now() - started));
    const two = await get(t, 'two.acme.wpdev.localhost');
    expect(two.status).toBe(200);
    expect(two.body).toContain('Second Site Title');
    expect(two.body).not.toContain('First Site Title');
    const one = await get(t, 'www.one-example.test'); // secondary host of site 1 → redirected to its home
    expect([200, 301]).toContain(one.status);
    expect(await tables('stwo0000002_')).toContain('stwo0000002_options');
  });

  it('refuses a host name routed to another tenant (HOSTNAME_TAKEN), and leaves routes as they were', async () => {
    await expect(wp.routeSite({ ...betaSite, hostnames: ['main.beta.wpdev.localhost', 'one.acme.wpdev.localhost'] })).rejects.toMatchObject({ code: 'HOSTNAME_TAKEN' });
    await expect(wp.routeSite({ ...betaSite, hostnames: ['acme.wpdev.localhost'] })).rejects.toMatchObject({ code: 'HOSTNAME_TAKEN' });
    expect(await exists(join(t.runtime.layout.edgeRoutes, 'main.beta.wpdev.localhost'))).toBe(false);
    expect((await get(t, 'one.acme.wpdev.localhost')).status).toBe(200);
  });

  it('options: get and set', async () => {
    // WordPress sanitises as it does in wp-admin (blogdescription is esc_html'd).
    await wp.setOptions(site1, { blogdescription: 'Tagline ünïcode & <b>', posts_per_page: 7 });
    expect(await wp.getOptions(site1, ['blogdescription', 'posts_per_page', 'no_such_option'])).toEqual({
      blogdescription: 'Tagline ünïcode &amp; &lt;b&gt;',
      posts_per_page: '7',
      no_such_option: null,
    });
  });

  it('hostile values are data: options round-trip verbatim, bad ids never reach SQL or PHP', async () => {
    const hostile = "'); system('id'); /* <?php echo 'pwned'; ?> `rm -rf /` $(id) \\' \" ; DROP TABLE sone0000001_options; --";
    await wp.setOptions(site1, { bbws_test_option: hostile });
    expect(await wp.getOptions(site1, ['bbws_test_option'])).toEqual({ bbws_test_option: hostile });
    expect(await option('one0000001', 'bbws_test_option')).toBe(hostile);
    await expect(wp.isInstalled({ ...site1, siteId: "x' OR '1'='1" })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(wp.routeSite({ ...site1, hostnames: ['../../etc'] })).rejects.toThrow(/unsafe hostname/);
    await expect(wp.installPlugin(site1, '../evil', [])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('applies a template: theme active, pages and menu in WordPress\'s own tables; idempotent', async () => {
    const template: TemplateBlueprint = {
      templateId: 'business',
      name: 'Business',
      description: 'test',
      theme: 'twentytwentytwo',
      plugins: [],
      options: { blogdescription: 'We do business' },
      pages: [
        { title: 'Welcome', content: '<!-- wp:paragraph --><p>Hello from the template</p><!-- /wp:paragraph -->', slug: 'welcome', front: true },
        { title: 'About Us', content: 'About text' },
        { title: 'Launch news', content: 'News', type: 'post' },
      ],
      menu: { name: 'Main', items: ['Welcome', 'About Us'] },
    };
    await wp.applyTemplate(site1, template);
    await wp.applyTemplate(site1, template);
    expect(await option('one0000001', 'stylesheet')).toBe('twentytwentytwo');
    expect(await option('one0000001', 'template')).toBe('twentytwentytwo');
    expect(await option('one0000001', 'blogdescription')).toBe('We do business');
    expect(await option('one0000001', 'show_on_front')).toBe('page');
    const posts = await acme.query<{ post_name: string; post_type: string; ID: number }>(
      "SELECT ID, post_name, post_type FROM `sone0000001_posts` WHERE post_status = 'publish' AND post_name IN ('welcome', 'about-us', 'launch-news') ORDER BY post_name",
    );
    expect(posts.map((p) => [p.post_name, p.post_type])).toEqual([
      ['about-us', 'page'],
      ['launch-news', 'post'],
      ['welcome', 'page'],
    ]);
    expect(Number(await option('one0000001', 'page_on_front'))).toBe(posts.find((p) => p.post_name === 'welcome')!.ID);
    const items = await acme.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM `sone0000001_posts` p JOIN `sone0000001_term_relationships` r ON r.object_id = p.ID JOIN `sone0000001_term_taxonomy` tt ON tt.term_taxonomy_id = r.term_taxonomy_id JOIN `sone0000001_terms` tm ON tm.term_id = tt.term_id WHERE p.post_type = 'nav_menu_item' AND tt.taxonomy = 'nav_menu' AND tm.name = 'Main'",
    );
    expect(Number(items[0]!.n)).toBe(2);
    const home = await get(t, 'one.acme.wpdev.localhost');
    expect(home.status).toBe(200);
    expect(home.body).toContain('Hello from the template');
    // The other site is untouched.
    expect(await option('two0000002', 'stylesheet')).toBe('twentytwentythree');
  });

  it('installs a plugin: copied, root-owned and read-only for the tenant, active in active_plugins of that site only', async () => {
    pluginSource = await mkdtemp(join(tmpdir(), 'bbws-plugin-'));
    await mkdir(join(pluginSource, 'bbws-hello'));
    await writeFile(join(pluginSource, 'bbws-hello', 'bbws-hello.php'), "<?php\n/**\n * Plugin Name: BBWS Hello\n * Version: 1.0.0\n */\nadd_action('wp_footer', function () { echo '<p>bbws-hello-was-here</p>'; });\n");
    await wp.installPlugin(site1, 'bbws-hello', packageFilesOf(join(pluginSource, 'bbws-hello')));
    await wp.installPlugin(site1, 'bbws-hello', packageFilesOf(join(pluginSource, 'bbws-hello'))); // again: replaced, still active
    expect(await wp.listActivePlugins(site1)).toEqual(['bbws-hello']);
    expect(await option('one0000001', 'active_plugins')).toContain('bbws-hello/bbws-hello.php');
    expect(await wp.listActivePlugins(site2)).toEqual([]);
    const dir = join(t.runtime.tenantPaths('acme').content, 'plugins', 'bbws-hello');
    // Code is the platform's: the tenant's PHP reads it, the edge serves its assets, nobody else writes it.
    if (isRoot) expect(await stat(join(dir, 'bbws-hello.php'))).toMatchObject({ uid: 0, gid: 0, mode: 0o100644 });
    expect((await get(t, 'one.acme.wpdev.localhost')).body).toContain('bbws-hello-was-here');
  });

  it('uninstall keeps the files while another site has the plugin active, removes them after', async () => {
    const dir = join(t.runtime.tenantPaths('acme').content, 'plugins', 'bbws-hello');
    await wp.setPluginActive(site2, 'bbws-hello', true);
    expect(await wp.listActivePlugins(site2)).toEqual(['bbws-hello']);
    await wp.uninstallPlugin(site1, 'bbws-hello');
    expect(await wp.listActivePlugins(site1)).toEqual([]);
    expect(await exists(dir)).toBe(true);
    await wp.setPluginActive(site2, 'bbws-hello', false);
    expect(await wp.listActivePlugins(site2)).toEqual([]);
    await wp.uninstallPlugin(site2, 'bbws-hello');
    expect(await exists(dir)).toBe(false);
  });

  it('the guard mu-plugin refuses a blocklisted plugin copied in by hand', async () => {
    await writeBlocklist(t.runtime, 'all', [{ slug: 'evil-plugin', versions: '*', reason: 'known backdoor' }]);
    const dir = join(t.runtime.tenantPaths('acme').content, 'plugins', 'evil-plugin');
    await mkdir(dir);
    await writeFile(join(dir, 'evil-plugin.php'), '<?php\n/**\n * Plugin Name: Evil\n * Version: 6.6.6\n */\n');
    const owner = await t.runtime.tenantOwner('acme');
    if (owner) {
      await chown(dir, owner.uid, owner.webGid);
      await chown(join(dir, 'evil-plugin.php'), owner.uid, owner.webGid);
    }
    // Activation through WordPress's own API, as the tenant: wp_die, never active.
    const out = await acme.php(site1, "require_once ABSPATH . 'wp-admin/includes/plugin.php'; $r = activate_plugin('evil-plugin/evil-plugin.php'); echo 'not-reached';", null, { loadWordPress: true });
    expect(out).toContain('blocked by the platform');
    expect(out).not.toContain('not-reached');
    expect(await option('one0000001', 'active_plugins')).not.toContain('evil-plugin');
    // Written straight into the option: stripped on write.
    await acme.php(site1, "update_option('active_plugins', array('evil-plugin/evil-plugin.php'));", null, { loadWordPress: true });
    expect(await option('one0000001', 'active_plugins')).not.toContain('evil-plugin');
    // And through the adapter: a security violation.
    await expect(wp.setPluginActive(site1, 'evil-plugin', true)).rejects.toMatchObject({ code: 'PLUGIN_SECURITY_VIOLATION' });
    await rm(dir, { recursive: true, force: true });
  });

  it('loopback requests from WordPress to its own URL work (CURLOPT_RESOLVE to the edge)', async () => {
    const out = await acme.php(site1, "$r = wp_remote_get(home_url('/')); echo is_wp_error($r) ? 'ERR ' . $r->get_error_message() : 'HTTP ' . wp_remote_retrieve_response_code($r);", null, { loadWordPress: true });
    expect(out.trim()).toBe('HTTP 200');
  });

  it('runs due WP-Cron events of the site', async () => {
    await acme.php(site1, "wp_schedule_single_event(time() - 60, 'bbws_test_event', array(42));", null, { loadWordPress: true });
    const before = await acme.php(site1, "echo wp_next_scheduled('bbws_test_event', array(42)) ? 'yes' : 'no';", null, { loadWordPress: true });
    expect(before).toBe('yes');
    await wp.runCron(site1);
    const after = await acme.php(site1, "echo wp_next_scheduled('bbws_test_event', array(42)) ? 'yes' : 'no';", null, { loadWordPress: true });
    expect(after).toBe('no');
  });

  it('removeSite leaves no tables, no uploads, no route and no map entry; idempotent', async () => {
    const uploads = acme.uploadsDir('two0000002');
    await acme.php(site2, "$u = wp_upload_dir(); file_put_contents($u['basedir'] . '/hello.txt', 'x'); echo $u['basedir'];", null, { loadWordPress: true });
    expect(await readFile(join(uploads, 'hello.txt'), 'utf8')).toBe('x');
    await wp.removeSite(site2);
    await wp.removeSite(site2);
    expect(await tables('stwo0000002_')).toEqual([]);
    expect(await exists(uploads)).toBe(false);
    expect(await exists(join(t.runtime.layout.edgeRoutes, 'two.acme.wpdev.localhost'))).toBe(false);
    expect(await readFile(join(t.runtime.tenantPaths('acme').dir, 'sites-map.json'), 'utf8')).not.toContain('two0000002');
    expect((await get(t, 'two.acme.wpdev.localhost')).status).toBe(404);
    expect((await get(t, 'one.acme.wpdev.localhost')).status).toBe(200);
  });

  it.runIf(isRoot)('tenant isolation holds: a site\'s PHP cannot read another tenant\'s wp-config or sites', async () => {
    await wp.routeSite(betaSite);
    await wp.installSite(betaSite, admin('Beta Site'));
    const beta = t.runtime.tenantPaths('beta');
    const out = await acme.php(
      site1,
      "foreach ($input as $f) { echo (@file_get_contents($f) === false ? 'denied' : 'READ'), ' '; }",
      [beta.wpConfig, join(beta.dir, 'sites-map.json'), join(beta.dir, 'mu-plugins', 'bbws-guard.php')],
      { loadWordPress: false },
    );
    expect(out.trim()).toBe('denied denied denied');
    expect((await get(t, 'main.beta.wpdev.localhost')).body).toContain('Beta Site');
  });

  it('a route left behind by a deleted tenant (its directory gone) does not block the host name forever', async () => {
    const gone = join(t.runtime.layout.tenantsDir, 'deleted', 'sites-www');
    await t.runtime.edge.addRoute('old.deleted.wpdev.localhost', gone, join(t.runtime.layout.phpFpmRun, 'dev-deleted-service.sock'));
    const site3: SiteRef = { tenantId: 'acme', siteId: 'thr0000003', hostnames: ['old.deleted.wpdev.localhost'] };
    await wp.routeSite(site3);
    await wp.installSite(site3, admin('Third Site'));
    expect((await get(t, 'old.deleted.wpdev.localhost')).body).toContain('Third Site');
    await wp.removeSite(site3);
    expect((await get(t, 'old.deleted.wpdev.localhost')).status).toBe(404);
  });

  it('unrouteSite takes the host names away', async () => {
    await wp.unrouteSite({ ...site1, hostnames: ['www.one-example.test'] });
    expect((await get(t, 'www.one-example.test')).status).toBe(404);
    expect((await get(t, 'one.acme.wpdev.localhost')).status).toBe(200);
  });
});
