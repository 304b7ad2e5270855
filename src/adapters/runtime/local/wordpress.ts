/**
 * A tenant's files: the docroot made of symlinks into Debian's WordPress core (shared and
 * read-only: it belongs to root), the tenant's own content directory, the ABSPATH prepend file
 * and the rendered, linted wp-config.php.
 *
 * Modes are the isolation (open_basedir was measured 3.7× slower): `tenants/<t>/` is 0750
 * `<tenant user>:<web group>`, so only the tenant's PHP and nginx's workers can enter it;
 * wp-config.php is 0640 `root:<tenant group>`, so nginx cannot read it either.
 */
import { chmod, chown, lstat, mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './exec.js';
import type { TenantPaths } from './layout.js';
import { renderPrepend, renderWpConfig, type WpConfigInput } from './render-wp-config.js';

export const WORDPRESS_CORE = '/usr/share/wordpress';
export const DEFAULT_THEME = 'twentytwentythree';

/** Core entries that are NOT linked: the config is the tenant's, the content dir too. */
const NOT_LINKED = new Set(['wp-config.php', 'wp-config-sample.php', 'wp-content', '.htaccess', 'readme.html']);

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
  for (const d of ['themes', 'plugins', 'uploads'])
    await writeFile(join(paths.content, d, 'index.php'), '<?php // Silence is golden.\n', { flag: 'a' });
  await writeFile(paths.prepend, renderPrepend(paths.www), { mode: 0o644 });
  await writeFile(paths.phpErrorLog, '', { flag: 'a', mode: 0o640 });

  await chmod(paths.dir, 0o750);
  await chmod(paths.www, 0o755);
  await chmod(paths.tmp, 0o700);
  await chmod(paths.logs, 0o750);
  if (owner) {
    await chown(paths.dir, owner.uid, owner.webGid);
    // Content, logs and tmp belong to the tenant; the setgid bit keeps new uploads readable by nginx.
    await run('chown', ['-R', '-h', `${owner.uid}:${owner.webGid}`, paths.content, paths.logs]);
    await chown(paths.tmp, owner.uid, owner.gid);
    await run('chmod', ['-R', 'g+rX,o-rwx', paths.content]);
    await chmod(paths.content, 0o2750);
    await chown(paths.www, 0, 0);
    await chown(paths.prepend, 0, 0);
  } else {
    await chmod(paths.content, 0o750);
  }
}

/**
 * Writes wp-config.php: rendered to a candidate file, linted with `php -l`, then renamed over
 * the live one, so a bad render never reaches a running pool.
 */
export async function writeWpConfig(paths: TenantPaths, input: WpConfigInput, owner: TenantOwner | null, phpBinary = 'php'): Promise<void> {
  const candidate = `${paths.wpConfig}.candidate`;
  await writeFile(candidate, renderWpConfig(input), { mode: 0o640 });
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
