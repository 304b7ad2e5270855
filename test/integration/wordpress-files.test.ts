/**
 * Files that WordPress writes, served by the edge as a user meets them (real WordPress, MariaDB,
 * php-fpm, nginx): an image uploaded through the REST API (logged in through wp-login.php), its
 * sizes, a marketplace plugin's CSS, a Debian theme's assets, the same after a clone — and only
 * under the tenant's own hosts. Then "the marketplace is the only way in for code": what the
 * tenant's PHP can no longer write, and what the guard refuses to load or activate.
 */
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFilesOf } from '../support/plugin-zips.js';
import type { SiteRef } from '../../src/ports/wordpress.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { createLocalWordPress, type LocalWordPress } from '../../src/adapters/wordpress/local/local-wordpress.js';
import { createTenantAccess, type LocalTenantAccess } from '../../src/adapters/wordpress/local/create-tenant-access.js';
import { runSteps, silentLogger, spec, startTestRuntime, type TestRuntime } from '../support/local-runtime-harness.js';
import { edgeClient, logInToWordPress, uploadMedia } from '../support/edge-client.js';

const isRoot = process.getuid?.() === 0;

/** A real PNG (GD, as the tenant's WordPress would read it), large enough for WordPress to make sub-sizes. */
function png(width: number, height: number): Buffer {
  return execFileSync('php', ['-r', `$i = imagecreatetruecolor(${width}, ${height}); imagefill($i, 0, 0, imagecolorallocate($i, 200, 40, 90)); imagepng($i);`]);
}

describe.runIf(isRoot)('files WordPress writes, served by the edge; code only from the marketplace', () => {
  let t: TestRuntime;
  let wp: LocalWordPress;
  let acme: LocalTenantAccess;
  let pluginSource: string;
  const password = 'correct-horse-battery-1';
  const shop: SiteRef = { tenantId: 'acme', siteId: 'shp0000001', hostnames: ['shop.acme.wpdev.localhost'] };
  const copy: SiteRef = { tenantId: 'acme', siteId: 'cpy0000001', hostnames: ['copy.acme.wpdev.localhost'] };
  const betaSite: SiteRef = { tenantId: 'beta', siteId: 'bet0000001', hostnames: ['main.beta.wpdev.localhost'] };
  const css = '.bbws-assets { color: rebeccapurple; }\n';
  let uploaded: { id: number; source_url: string; media_details: { sizes?: Record<string, { source_url: string }> } };
  let image: Buffer;
  const pathOf = (url: string) => new URL(url).pathname;

  beforeAll(async () => {
    t = await startTestRuntime('dev');
    await runSteps(t.runtime.provisionSteps(spec('acme')));
    await runSteps(t.runtime.provisionSteps(spec('beta')));
    const secrets = createLocalSecrets({ dir: join(t.dataDir, 'secrets') });
    wp = createLocalWordPress({ runtime: t.runtime, secrets, config: t.runtime.config, logger: silentLogger() });
    acme = await createTenantAccess(t.runtime, secrets, 'acme');
    for (const s of [shop, betaSite]) {
      await wp.routeSite(s);
      await wp.installSite(s, { title: `Site ${s.siteId}`, adminUser: 'owner', adminEmail: 'owner@example.com', adminPassword: password });
    }
    pluginSource = await mkdtemp(join(tmpdir(), 'bbws-assets-plugin-'));
    const dir = join(pluginSource, 'bbws-assets');
    await mkdir(join(dir, 'css'), { recursive: true });
    await writeFile(
      join(dir, 'bbws-assets.php'),
      "<?php\n/**\n * Plugin Name: BBWS Assets\n * Version: 1.0.0\n */\nadd_action('wp_enqueue_scripts', function () { wp_enqueue_style('bbws-assets', plugins_url('css/style.css', __FILE__)); });\nadd_action('wp_footer', function () { echo '<p>bbws-assets-was-here</p>'; });\n",
    );
    await writeFile(join(dir, 'css', 'style.css'), css);
    // As the marketplace stores packages: read-only files.
    await chmod(join(dir, 'bbws-assets.php'), 0o444);
    await chmod(join(dir, 'css', 'style.css'), 0o444);
  });
  afterAll(async () => {
    await wp?.close();
    await acme?.close();
    if (pluginSource) await rm(pluginSource, { recursive: true, force: true });
    await t?.cleanup();
  });

  it('an image uploaded through the REST API is served by the edge: 200, the same bytes, its sizes too', async () => {
    const client = edgeClient(t.edgePort, shop.hostnames[0]!);
    const nonce = await logInToWordPress(client, 'owner', password);
    image = png(640, 480);
    uploaded = await uploadMedia(client, nonce, 'bbws-pixel.png', 'image/png', image);
    expect(pathOf(uploaded.source_url)).toMatch(new RegExp(`^/wp-content/uploads/sites/${shop.siteId}/\\d{4}/\\d{2}/bbws-pixel\\.png$`));
    const anonymous = edgeClient(t.edgePort, shop.hostnames[0]!);
    const got = await anonymous.get(pathOf(uploaded.source_url));
    expect(got.status).toBe(200);
    expect(got.body.equals(image)).toBe(true);
    const thumb = uploaded.media_details.sizes?.thumbnail?.source_url;
    expect(thumb).toBeTruthy();
    const small = await anonymous.get(pathOf(thumb!));
    expect(small.status).toBe(200);
    expect(small.body.subarray(1, 4).toString()).toBe('PNG');
  });

  it("only the tenant's own hosts serve its uploads", async () => {
    const other = await edgeClient(t.edgePort, betaSite.hostnames[0]!).get(pathOf(uploaded.source_url));
    expect(other.status).toBe(404);
  });

  it("a marketplace plugin's CSS and a Debian theme's assets are served: 200, the same bytes", async () => {
    await wp.installPlugin(shop, 'bbws-assets', packageFilesOf(join(pluginSource, 'bbws-assets')));
    const client = edgeClient(t.edgePort, shop.hostnames[0]!);
    const home = await client.get('/');
    expect(home.text).toContain('bbws-assets-was-here');
    expect(home.text).toContain('/wp-content/plugins/bbws-assets/css/style.css');
    const style = await client.get('/wp-content/plugins/bbws-assets/css/style.css');
    expect(style.status).toBe(200);
    expect(style.text).toBe(css);
    const themeCss = await client.get('/wp-content/themes/twentytwentythree/style.css');
    expect(themeCss.status).toBe(200);
    expect(themeCss.body.equals(await readFile('/usr/share/wordpress/wp-content/themes/twentytwentythree/style.css'))).toBe(true);
  });

  it('after a clone, the copied uploads and new uploads on the clone are served', async () => {
    await wp.cloneSite(shop, copy);
    const client = edgeClient(t.edgePort, copy.hostnames[0]!);
    const nonce = await logInToWordPress(client, 'owner', password);
    const media = JSON.parse((await client.get(`/?rest_route=/wp/v2/media/${uploaded.id}&_wpnonce=${nonce}`)).text) as { source_url: string };
    expect(pathOf(media.source_url)).toMatch(new RegExp(`^/wp-content/uploads/sites/${copy.siteId}/`));
    const copied = await edgeClient(t.edgePort, copy.hostnames[0]!).get(pathOf(media.source_url));
    expect(copied.status).toBe(200);
    expect(copied.body.equals(image)).toBe(true);
    const second = png(320, 200);
    const fresh = await uploadMedia(client, nonce, 'after-clone.png', 'image/png', second);
    const got = await edgeClient(t.edgePort, copy.hostnames[0]!).get(pathOf(fresh.source_url));
    expect(got.status).toBe(200);
    expect(got.body.equals(second)).toBe(true);
  });

  it('PHP written into uploads never runs through the edge', async () => {
    const out = await acme.php(shop, "$u = wp_upload_dir(); file_put_contents($u['basedir'] . '/run-me.php', '<?php echo \"ran-\" . \"as-php\";'); echo 'ok';", null, { loadWordPress: true });
    expect(out).toBe('ok');
    const r = await edgeClient(t.edgePort, shop.hostnames[0]!).get(`/wp-content/uploads/sites/${shop.siteId}/run-me.php`);
    expect(r.status).toBe(403);
    expect(r.text).not.toContain('ran-as-php');
  });

  it("the tenant's PHP cannot write code where WordPress loads it from", async () => {
    const paths = t.runtime.tenantPaths('acme');
    const targets = [
      join(paths.content, 'plugins', 'dropped', 'dropped.php'),
      join(paths.content, 'plugins', 'bbws-assets', 'bbws-assets.php'),
      join(paths.content, 'themes', 'dropped', 'functions.php'),
      join(paths.content, 'db.php'),
      join(paths.content, 'object-cache.php'),
      join(paths.dir, 'mu-plugins', 'dropped.php'),
      join(paths.dir, 'mu-plugins', 'bbws-guard.php'),
      join(paths.dir, 'plugin-manifest.json'),
    ];
    const out = await acme.php(
      shop,
      "foreach ($input as $f) { @mkdir(dirname($f)); echo (@file_put_contents($f, '<?php echo 1;') === false ? 'denied' : 'WROTE ' . $f), ' '; } $plugins = dirname(dirname($input[0])); echo @rename($plugins, $plugins . '-x') ? 'RENAMED' : 'denied';",
      targets,
      { loadWordPress: false },
    );
    expect(out.trim()).toBe(Array(targets.length + 1).fill('denied').join(' '));
    // The same WordPress with file modifications disabled: no plugin/theme upload, update or editor.
    expect(await acme.php(shop, "echo wp_is_file_mod_allowed('bbws_test') ? 'allowed' : 'disallowed', ' ', defined('DISALLOW_FILE_EDIT') && DISALLOW_FILE_EDIT ? 'no-editor' : 'editor';", null, { loadWordPress: true })).toBe('disallowed no-editor');
  });

  it('a plugin that reaches plugins/ some other way is neither loaded nor activated; a changed marketplace plugin is not loaded', async () => {
    const paths = t.runtime.tenantPaths('acme');
    const owner = (await t.runtime.tenantOwner('acme'))!;
    const dir = join(paths.content, 'plugins', 'dropped');
    const marker = join(paths.tmp, 'dropped-ran');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'dropped.php'), `<?php\n/**\n * Plugin Name: Dropped\n * Version: 1.0\n */\nfile_put_contents(${JSON.stringify(marker)}, 'ran');\nadd_action('wp_footer', function () { echo '<p>dropped-was-here</p>'; });\n`);
    await chown(dir, owner.uid, owner.gid);
    await chown(join(dir, 'dropped.php'), owner.uid, owner.gid);
    // Activation through WordPress's own API, as the tenant: refused before core includes the file.
    const out = await acme.php(shop, "require_once ABSPATH . 'wp-admin/includes/plugin.php'; $r = activate_plugin('dropped/dropped.php'); echo 'not-reached';", null, { loadWordPress: true });
    expect(out).toContain('blocked by the platform');
    expect(out).toContain('not installed from the platform marketplace');
    expect(out).not.toContain('not-reached');
    await expect(readFile(marker)).rejects.toThrow(/ENOENT/);
    await expect(wp.setPluginActive(shop, 'dropped', true)).rejects.toMatchObject({ code: 'PLUGIN_SECURITY_VIOLATION' });
    // Written into the option by SQL: never loaded (the option is filtered when it is read).
    const [row] = await acme.query<{ v: string }>(`SELECT option_value AS v FROM \`s${shop.siteId}_options\` WHERE option_name = 'active_plugins'`);
    await acme.query(`UPDATE \`s${shop.siteId}_options\` SET option_value = ? WHERE option_name = 'active_plugins'`, ['a:2:{i:0;s:27:"bbws-assets/bbws-assets.php";i:1;s:19:"dropped/dropped.php";}']);
    const home = await edgeClient(t.edgePort, shop.hostnames[0]!).get('/');
    expect(home.text).toContain('bbws-assets-was-here');
    expect(home.text).not.toContain('dropped-was-here');
    await expect(readFile(marker)).rejects.toThrow(/ENOENT/);
    // A marketplace plugin whose main file changed on disk is no longer loaded.
    const main = join(paths.content, 'plugins', 'bbws-assets', 'bbws-assets.php');
    const original = await readFile(main, 'utf8');
    await writeFile(main, original.replace('bbws-assets-was-here', 'tampered-was-here'));
    const tampered = await edgeClient(t.edgePort, shop.hostnames[0]!).get('/');
    expect(tampered.status).toBe(200);
    expect(tampered.text).not.toContain('tampered-was-here');
    await writeFile(main, original);
    await acme.query(`UPDATE \`s${shop.siteId}_options\` SET option_value = ? WHERE option_name = 'active_plugins'`, [row!.v]);
    await rm(dir, { recursive: true, force: true });
  });

  it("a theme that is not Debian's is not used, even when the option names it", async () => {
    const paths = t.runtime.tenantPaths('acme');
    const dir = join(paths.content, 'themes', 'dropped');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'style.css'), '/*\nTheme Name: Dropped\n*/\n');
    await writeFile(join(dir, 'functions.php'), "<?php\nadd_action('wp_footer', function () { echo '<p>dropped-theme-was-here</p>'; });\n");
    await writeFile(join(dir, 'index.php'), '<?php echo "dropped-theme-index";\n');
    const switched = await acme.php(shop, "switch_theme('dropped'); echo get_option('stylesheet');", null, { loadWordPress: true });
    expect(switched).toBe('twentytwentythree');
    await acme.query(`UPDATE \`s${shop.siteId}_options\` SET option_value = 'dropped' WHERE option_name IN ('template', 'stylesheet')`);
    const home = await edgeClient(t.edgePort, shop.hostnames[0]!).get('/');
    expect(home.status).toBe(200);
    expect(home.text).not.toContain('dropped-theme');
    expect(home.text).toContain('bbws-assets-was-here');
    await acme.query(`UPDATE \`s${shop.siteId}_options\` SET option_value = 'twentytwentythree' WHERE option_name IN ('template', 'stylesheet')`);
    await rm(dir, { recursive: true, force: true });
  });
});
