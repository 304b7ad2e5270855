/**
 * A tenant's files: the docroot made of symlinks into Debian's WordPress core (shared and
 * read-only: it belongs to root), the tenant's own content directory, the ABSPATH prepend file
 * and the rendered, linted wp-config.php.
 *
 * Modes are the isolation (open_basedir was measured 3.7× slower): `tenants/<t>/` is 0750
 * `<tenant user>:<web group>`, so only the tenant's PHP and nginx's workers can enter it;
 * wp-config.php is 0640 `root:<tenant group>`, so nginx cannot read it either.
 */
import { chmod, chown, lchown, lstat, mkdir, readdir, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GUARD_PLUGIN_FILE, renderGuardPlugin } from '../../wordpress/local/render-guard-plugin.js';
import { runAs } from '../../wordpress/local/php-runner.js';
import { renderSitesMap, type SiteHosts } from '../../wordpress/local/sites-map.js';
import { run } from './exec.js';
import type { TenantPaths } from './layout.js';
import { renderPrepend, renderWpConfig, type WpConfigInput } from './render-wp-config.js';

export const WORDPRESS_CORE = '/usr/share/wordpress';
export const DEFAULT_THEME = 'twentytwentythree';

/** Core entries that are NOT linked: the config is the tenant's, the content dir too. */
const NOT_LINKED = new Set(['wp-config.php', 'wp-config-sample.php', 'wp-content', '.htaccess', 'readme.html']);

/** The sites map wp-config.php includes (0640 root:<tenant group>), and its source of truth (root only). */
export const sitesMapFile = (paths: TenantPaths) => join(paths.dir, 'sites.php');
export const sitesStateFile = (paths: TenantPaths) => join(paths.dir, 'sites.json');
/** The plugin blocklist the guard mu-plugin reads (0640 root:<tenant group>). */
export const blocklistFile = (paths: TenantPaths) => join(paths.dir, 'plugin-blocklist.json');
export const guardPluginFile = (paths: TenantPaths) => join(paths.content, 'mu-plugins', GUARD_PLUGIN_FILE);

/** Owner of the tenant's files; null when not root (everything stays the current user's). */
export interface TenantOwner {
  uid: number;
  gid: number;
  webGid: number;
}

async function ensureSymlink(target: string, link: string): Promise<void> {
  try {
    await lstat(link);
    return;
  } catch {
    await symlink(target, link);
  }
}

export async function ensureTenantFiles(paths: TenantPaths, owner: TenantOwner | null, corePath = WORDPRESS_CORE): Promise<void> {
  await mkdir(paths.dir, { recursive: true, mode: 0o750 });
  for (const d of [paths.www, paths.content, paths.logs, paths.tmp, join(paths.content, 'themes'), join(paths.content, 'plugins'), join(paths.content, 'uploads')])
    await mkdir(d, { recursive: true });
  for (const entry of await readdir(corePath)) if (!NOT_LINKED.has(entry)) await ensureSymlink(join(corePath, entry), join(paths.www, entry));
  await ensureSymlink(paths.content, join(paths.www, 'wp-content'));
  // The default theme is shared read-only, like core (Debian ships it outside the core package).
  const theme = join(corePath, 'wp-content', 'themes', DEFAULT_THEME);
  await ensureSymlink(theme, join(paths.content, 'themes', DEFAULT_THEME));
  // 'wx': never through a symlink the tenant planted, and no second line on re-provisioning.
  for (const d of ['themes', 'plugins', 'uploads'])
    await writeFile(join(paths.content, d, 'index.php'), '<?php // Silence is golden.\n', { flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  await writeFile(paths.prepend, renderPrepend(paths.www), { mode: 0o644 });
  await chmod(paths.prepend, 0o644); // the process umask (0o077) masked the mode above
  await writeFile(paths.phpErrorLog, '', { flag: 'a', mode: 0o640 });

  await chmod(paths.dir, owner ? 0o751 : 0o750);
  await chmod(paths.www, 0o755);
  await chmod(paths.tmp, 0o700);
  await chmod(paths.logs, 0o750);
  if (owner) {
    // root:<tenant group> 0751: the tenant (group) and nginx (search only) reach www/ and content/,
    // but only root can rename entries here, so root-managed files (sites map, blocklist, prepend,
    // backups) cannot be swapped for symlinks that root would then follow.
    await chown(paths.dir, 0, owner.gid);
    // Content, logs and tmp belong to the tenant; the setgid bit keeps new uploads readable by nginx.
    await run('chown', ['-R', '-h', `${owner.uid}:${owner.webGid}`, paths.content, paths.logs]);
    await chown(paths.tmp, owner.uid, owner.gid);
    await run('chmod', ['-R', 'g+rX,o-rwx', paths.content]);
    // nginx follows a docroot symlink only when link and target have one owner (render-nginx.ts):
    // www/ is root's (safe to lchown in), and wp-content → content points at the tenant's.
    await lchown(join(paths.www, 'wp-content'), owner.uid, owner.webGid);
    await chmod(paths.content, 0o2750);
    await chown(paths.www, 0, 0);
    await chown(paths.prepend, 0, 0);
  } else {
    await chmod(paths.content, 0o750);
  }
  await writeGuardPlugin(paths, owner);
}

/** The guard mu-plugin (render-guard-plugin.ts), linted, then renamed into place. */
export async function writeGuardPlugin(paths: TenantPaths, owner: TenantOwner | null): Promise<void> {
  const text = renderGuardPlugin({ blocklistFile: blocklistFile(paths) });
  await run('php', ['-n', '-l'], { input: text });
  // Written AS THE TENANT: wp-content/ is the tenant's, who could have swapped mu-plugins/ for a
  // symlink; root must not follow it. (A tenant running code can remove the guard either way: it
  // is a guard against plugins that reach the disk, not against the tenant's own PHP.)
  const as = { owner: owner ? { uid: owner.uid, gid: owner.gid } : null, cwd: paths.content, tmpDir: paths.tmp };
  const final = guardPluginFile(paths);
  const tmp = `${final}.tmp-${randomBytes(4).toString('hex')}`;
  await runAs('mkdir', ['-p', '--', join(paths.content, 'mu-plugins')], as);
  await runAs('tee', ['--', tmp], { ...as, stdin: text });
  await runAs('mv', ['-f', '-T', '--', tmp, final], as);
}

/**
 * Writes a root-owned file readable by `group`: candidate, optional `php -l`, rename. Every
 * generated PHP file goes through the linter so a bad render never reaches a running pool.
 */
async function writeRootFile(path: string, text: string, group: { gid: number; mode: number } | null, lint: boolean, mtime?: number): Promise<void> {
  const candidate = `${path}.candidate`;
  const mode = group?.mode ?? 0o640;
  await writeFile(candidate, text, { mode });
  try {
    await chmod(candidate, mode);
    if (group) await chown(candidate, 0, group.gid);
    if (lint) await run('php', ['-n', '-l', candidate]);
    if (mtime !== undefined) await utimes(candidate, mtime, mtime);
    await rename(candidate, path);
  } catch (e) {
    await rm(candidate, { force: true });
    throw e;
  }
}

/**
 * Renders, lints and installs the tenant's sites map. Its mtime (whole seconds, what opcache
 * compares) strictly increases with every write, so the not-forced opcache_invalidate in
 * wp-config.php sees every change, even two within one second.
 */
export async function writeSitesMap(paths: TenantPaths, sites: SiteHosts[], edgePort: number, owner: TenantOwner | null): Promise<void> {
  const text = renderSitesMap(sites, edgePort);
  const previous = await stat(sitesMapFile(paths)).then((s) => Math.floor(s.mtimeMs / 1000), () => 0);
  const mtime = Math.max(Math.floor(Date.now() / 1000), previous + 1);
  await writeRootFile(sitesMapFile(paths), text, owner ? { gid: owner.gid, mode: 0o640 } : null, true, mtime);
  await writeFile(sitesStateFile(paths), `${JSON.stringify(sites, null, 2)}\n`, { mode: 0o600 });
}

/** The guard's blocklist (JSON, not PHP: it is data, read with file_get_contents). */
export async function writeBlocklistFile(paths: TenantPaths, json: string, owner: TenantOwner | null): Promise<void> {
  await writeRootFile(blocklistFile(paths), json, owner ? { gid: owner.gid, mode: 0o640 } : null, false);
}

/**
 * Writes wp-config.php: rendered to a candidate file, linted with `php -l`, then renamed over
 * the live one, so a bad render never reaches a running pool.
 */
export async function writeWpConfig(paths: TenantPaths, input: WpConfigInput, owner: TenantOwner | null, phpBinary = 'php'): Promise<void> {
  const candidate = `${paths.wpConfig}.candidate`;
  await writeFile(candidate, renderWpConfig({ sitesFile: sitesMapFile(paths), ...input }), { mode: 0o640 });
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
