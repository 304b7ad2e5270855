/**
 * A tenant's files: the docroot made of symlinks into Debian's WordPress core (shared and
 * read-only: it belongs to root), the content directory, the ABSPATH prepend file and the
 * rendered, linted wp-config.php.
 *
 * Modes are the isolation (open_basedir was measured 3.7× slower). `tenants/<t>/` is the
 * tenant's **gate**: owned by the edge's user, group the tenant's, mode 0550. Only the tenant's
 * PHP (group) and nginx's workers (owner) pass it, nobody can rename entries in it but root, and
 * inside it "others" means those two alone: so what the tenant's WordPress writes with WordPress's
 * usual modes (0644/0755) is served by the edge, without group games (setgid bits that a copy or
 * a rename silently loses), and is still unreadable by every other tenant.
 *
 * Inside the gate, everything that is code belongs to root: `content/` itself (so no drop-in
 * such as db.php or object-cache.php can appear), `content/plugins/` (the marketplace installer
 * writes there as root), `content/themes/` (Debian's themes, linked), the must-use plugins
 * (`mu-plugins/`, outside wp-content). The tenant owns `content/uploads/`, `logs/` and `tmp/`.
 * wp-config.php and the platform's data files are 0640 `root:<tenant group>`: not the edge's.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readdir, readFile, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GUARD_PLUGIN_FILE, renderGuardPlugin } from '../../wordpress/local/render-guard-plugin.js';
import { CACHE_PLUGIN_FILE, renderCachePlugin } from '../../wordpress/local/render-cache-plugin.js';
import { renderSitesMap, type SiteHosts } from '../../wordpress/local/sites-map.js';
import { run } from './exec.js';
import { SCRATCH_COPIES_DIR, type TenantPaths } from './layout.js';
import { renderPrepend, renderWpConfig, type WpConfigInput } from './render-wp-config.js';
import { overQuotaFlagFile } from './disk-quota.js';

export const WORDPRESS_CORE = '/usr/share/wordpress';
export const DEFAULT_THEME = 'twentytwentythree';

/** Core entries that are NOT linked: the config is the tenant's, the content dir too. */
const NOT_LINKED = new Set(['wp-config.php', 'wp-config-sample.php', 'wp-content', '.htaccess', 'readme.html']);

export const scratchCopiesDir = (paths: TenantPaths) => join(paths.dir, SCRATCH_COPIES_DIR);

/** The sites map wp-config.php includes (0640 root:<tenant group>), and its source of truth (root only). */
export const sitesMapFile = (paths: TenantPaths) => join(paths.dir, 'sites-map.json');
export const sitesStateFile = (paths: TenantPaths) => join(paths.dir, 'sites.json');
/** The plugin blocklist the guard mu-plugin reads (0640 root:<tenant group>). */
export const blocklistFile = (paths: TenantPaths) => join(paths.dir, 'plugin-blocklist.json');
/** Must-use plugins: root-owned, outside wp-content (`WPMU_PLUGIN_DIR`), so the tenant cannot remove the guard. */
export const muPluginsDir = (paths: TenantPaths) => join(paths.dir, 'mu-plugins');
export const guardPluginFile = (paths: TenantPaths) => join(muPluginsDir(paths), GUARD_PLUGIN_FILE);
export const cachePluginFile = (paths: TenantPaths) => join(muPluginsDir(paths), CACHE_PLUGIN_FILE);
/** The tenant's page-cache purge key (0640 root:<tenant group>; purge-server.ts checks it). */
export const purgeKeyFile = (dir: string) => join(dir, 'cache-purge.key');
const newPurgeKey = () => randomBytes(24).toString('base64url');
/** Which plugins came from the marketplace, with their checksums (plugin-manifest.ts; 0640 root:<tenant group>). */
export const pluginManifestFile = (paths: TenantPaths) => join(paths.dir, 'plugin-manifest.json');
/** The hash of the tenant's one-time install token (install-token.ts; 0640 root:<tenant group>). */
export const installTokenFile = (paths: TenantPaths) => join(paths.dir, 'install-token.json');

/** Owner of the tenant's files; null when not root (everything stays the current user's). */
export interface TenantOwner {
  uid: number;
  gid: number;
  webGid: number;
  /** The edge's user (owner of the tenant's gate); looked up by the web group's name when absent. */
  webUid?: number;
}

/** The uid of the user whose private group is `gid` (the edge's user `bw<instance>-web`). */
async function userOfGroup(gid: number): Promise<number> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.split(':')[3] === String(gid));
  if (!line) throw new Error(`no user has the edge's group ${gid} as its group`);
  return Number(line.split(':')[2]);
}

/**
 * Code directories are root's: content/, plugins/, themes/ (and the links in it) — also for a
 * tenant provisioned before this layout, whose tree was the tenant's (chown -h never follows
 * a link; a planted symlink becomes root's own link, which the edge then refuses to follow).
 */
export async function secureCodeDirs(paths: TenantPaths): Promise<void> {
  await chown(paths.content, 0, 0);
  await chmod(paths.content, 0o755);
  for (const d of ['plugins', 'themes']) {
    const dir = join(paths.content, d);
    await run('chown', ['-R', '-h', '0:0', '--', dir]);
    await run('chmod', ['-R', 'u+rwX,go+rX,go-w', '--', dir]);
  }
  // The guard used to live in wp-content (written as the tenant); it is in mu-plugins/ now.
  await rm(join(paths.content, 'mu-plugins'), { recursive: true, force: true });
}

/** True when content/ and content/plugins/ are root's real directories (root may write there). */
export async function codeDirsAreRoots(paths: TenantPaths): Promise<boolean> {
  for (const d of [paths.content, join(paths.content, 'plugins')]) {
    const st = await lstat(d).catch(() => null);
    if (!st || !st.isDirectory() || st.uid !== 0) return false;
  }
  return true;
}

async function ensureSymlink(target: string, link: string): Promise<void> {
  try {
    await lstat(link);
    return;
  } catch {
    await symlink(target, link);
  }
}

/** A docroot made of links into the shared core, and `wp-content` → `content` (root's links: the edge follows them). */
export async function linkWordPressCore(www: string, content: string, corePath = WORDPRESS_CORE): Promise<void> {
  for (const entry of await readdir(corePath)) if (!NOT_LINKED.has(entry)) await ensureSymlink(join(corePath, entry), join(www, entry));
  await ensureSymlink(content, join(www, 'wp-content'));
}

export async function ensureTenantFiles(paths: TenantPaths, owner: TenantOwner | null, corePath = WORDPRESS_CORE): Promise<void> {
  await mkdir(paths.dir, { recursive: true, mode: 0o750 });
  const uploads = join(paths.content, 'uploads');
  for (const d of [paths.www, paths.content, paths.logs, paths.tmp, muPluginsDir(paths), join(paths.content, 'themes'), join(paths.content, 'plugins'), uploads])
    await mkdir(d, { recursive: true });
  await linkWordPressCore(paths.www, paths.content, corePath);
  // The default theme is shared read-only, like core (Debian ships it outside the core package).
  const theme = join(corePath, 'wp-content', 'themes', DEFAULT_THEME);
  await ensureSymlink(theme, join(paths.content, 'themes', DEFAULT_THEME));
  // 'wx': never through a symlink the tenant planted, and no second line on re-provisioning.
  for (const d of ['themes', 'plugins', 'uploads'])
    await writeFile(join(paths.content, d, 'index.php'), '<?php // Silence is golden.\n', { flag: 'wx', mode: 0o644 }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  await writePrepend(paths, owner, corePath);
  await writeFile(paths.phpErrorLog, '', { flag: 'a', mode: 0o640 });

  await chmod(paths.www, 0o755);
  await chmod(muPluginsDir(paths), 0o755);
  await chmod(paths.tmp, 0o700);
  await chmod(paths.logs, 0o750);
  if (owner) {
    // The gate (see the top of this file): the edge's user owns it, the tenant's group enters it.
    await chown(paths.dir, owner.webUid ?? (await userOfGroup(owner.webGid)), owner.gid);
    await chmod(paths.dir, 0o550);
    await chown(paths.www, 0, 0);
    await chown(paths.prepend, 0, 0);
    await chown(muPluginsDir(paths), 0, 0);
    await secureCodeDirs(paths);
    // The tenant's own: uploads (world-readable modes: "the world" inside the gate is the edge), logs, tmp.
    await run('chown', ['-R', '-h', `${owner.uid}:${owner.gid}`, '--', uploads, paths.logs]);
    await run('chmod', ['-R', 'u+rwX,go+rX,go-w', '--', uploads]);
    await chown(uploads, owner.uid, owner.gid);
    await chown(paths.tmp, owner.uid, owner.gid);
  } else {
    await chmod(paths.dir, 0o750);
    await chmod(paths.content, 0o755);
  }
  await writeGuardPlugin(paths, owner);
}

/**
 * The ABSPATH prepend every request of the tenant's pool runs (render-wp-config.ts), root's and
 * world-readable inside the gate. Rewritten with the pool (tenant-steps.ts), so a tenant made by
 * older code gets the current checks (the 413 over its upload limit) at its next update.
 */
export async function writePrepend(paths: TenantPaths, owner: TenantOwner | null, corePath = WORDPRESS_CORE): Promise<void> {
  // nginx hands PHP the docroot's real path: the scratch copies' dir is named by its real path too.
  const scratchDocroots = join(await realpath(paths.dir).catch(() => paths.dir), SCRATCH_COPIES_DIR);
  const text = renderPrepend({ docroot: paths.www, contentDir: paths.content, corePath, installTokenFile: installTokenFile(paths), tmpDir: paths.tmp, overQuotaFlagFile: overQuotaFlagFile(paths), scratchDocroots });
  if ((await readFile(paths.prepend, 'utf8').catch(() => '')) === text) return;
  // Not linted here: the renderer's output is golden-checked and linted (test/unit/local-renderers.test.ts).
  await writeRootFile(paths.prepend, text, owner ? { gid: 0, mode: 0o644 } : null, false);
}

/** The guard mu-plugin (render-guard-plugin.ts), linted, then renamed into place (root's, read by all inside the gate). */
export async function writeGuardPlugin(paths: TenantPaths, owner: TenantOwner | null): Promise<void> {
  const text = renderGuardPlugin({ blocklistFile: blocklistFile(paths), manifestFile: pluginManifestFile(paths), coreThemesDir: join(WORDPRESS_CORE, 'wp-content', 'themes'), defaultTheme: DEFAULT_THEME });
  await mkdir(muPluginsDir(paths), { recursive: true, mode: 0o755 });
  await writeRootFile(guardPluginFile(paths), text, owner ? { gid: 0, mode: 0o644 } : null, true);
}

/**
 * The page-cache mu-plugin (render-cache-plugin.ts) and the tenant's purge key (0640
 * root:<tenant group>: the tenant's PHP proves with it that a purge is its own; purge-server.ts).
 * The key is kept when it exists.
 */
export async function writeCachePlugin(paths: TenantPaths, tenantId: string, purgeSocket: string, owner: TenantOwner | null): Promise<void> {
  const keyFile = purgeKeyFile(paths.dir);
  if (!(await stat(keyFile).then(() => true, () => false))) await writeRootFile(keyFile, `${newPurgeKey()}\n`, owner ? { gid: owner.gid, mode: 0o640 } : null, false);
  const text = renderCachePlugin({ tenantId, purgeSocket, keyFile, sitesMapFile: sitesMapFile(paths) });
  await mkdir(muPluginsDir(paths), { recursive: true, mode: 0o755 });
  await writeRootFile(cachePluginFile(paths), text, owner ? { gid: 0, mode: 0o644 } : null, true);
}

/**
 * Writes a root-owned file readable by `group`: candidate, optional `php -l`, rename. Every
 * generated PHP file goes through the linter so a bad render never reaches a running pool.
 */
async function writeRootFile(path: string, text: string, group: { gid: number; mode: number } | null, lint: boolean): Promise<void> {
  const candidate = `${path}.candidate`;
  const mode = group?.mode ?? 0o640;
  await writeFile(candidate, text, { mode });
  try {
    await chmod(candidate, mode);
    if (group) await chown(candidate, 0, group.gid);
    if (lint) await run('php', ['-n', '-l', candidate]);
    await rename(candidate, path);
  } catch (e) {
    await rm(candidate, { force: true });
    throw e;
  }
}

/**
 * Renders and installs the tenant's sites map (JSON, read with file_get_contents by wp-config.php
 * on every request, so a rename is seen by the next request: no cache keyed by mtime to outwit).
 */
export async function writeSitesMap(paths: TenantPaths, sites: SiteHosts[], edgePort: number, owner: TenantOwner | null): Promise<void> {
  await writeRootFile(sitesMapFile(paths), renderSitesMap(sites, edgePort), owner ? { gid: owner.gid, mode: 0o640 } : null, false);
  await writeFile(sitesStateFile(paths), `${JSON.stringify(sites, null, 2)}\n`, { mode: 0o600 });
}

/**
 * A data file the tenant's PHP reads and only root writes (blocklist, plugin manifest, install
 * token hash): JSON, not PHP, read with file_get_contents. 0640 root:<tenant group>.
 */
export async function writeTenantDataFile(path: string, json: string, owner: TenantOwner | null): Promise<void> {
  await writeRootFile(path, json, owner ? { gid: owner.gid, mode: 0o640 } : null, false);
}

/** The guard's blocklist. */
export async function writeBlocklistFile(paths: TenantPaths, json: string, owner: TenantOwner | null): Promise<void> {
  await writeTenantDataFile(blocklistFile(paths), json, owner);
}

/**
 * Writes wp-config.php: rendered to a candidate file, linted with `php -l`, then renamed over
 * the live one, so a bad render never reaches a running pool.
 */
export async function writeWpConfig(paths: TenantPaths, input: WpConfigInput, owner: TenantOwner | null, phpBinary = 'php'): Promise<void> {
  const candidate = `${paths.wpConfig}.candidate`;
  await writeFile(candidate, renderWpConfig({ sitesFile: sitesMapFile(paths), muPluginsDir: muPluginsDir(paths), ...input }), { mode: 0o640 });
  try {
    await chmod(candidate, 0o640);
    if (owner) await chown(candidate, 0, owner.gid);
    await run(phpBinary, ['-n', '-l', candidate]);
    await rename(candidate, paths.wpConfig);
  } catch (e) {
    await rm(candidate, { force: true });
    throw e;
  }
}

export async function removeTenantFiles(paths: TenantPaths): Promise<void> {
  await rm(paths.dir, { recursive: true, force: true });
}

export async function removeWpConfig(paths: TenantPaths): Promise<void> {
  await rm(paths.wpConfig, { force: true });
}
