/**
 * Plugin directories in the tenant's wp-content. `content/` and `content/plugins/` are root's
 * (runtime/local/tenant-files.ts): the marketplace installer is the only writer, as root, and
 * records each plugin in the tenant's manifest (plugin-manifest.ts) for the guard mu-plugin.
 * Root writes there only after checking that both are root's real directories (a tenant
 * provisioned before this layout is converted first), so no tenant symlink can redirect it.
 * The tenant's uploads stay the tenant's: `removeAsTenant` removes things there AS THE TENANT.
 */
import { lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BbwsError } from '../../../domain/errors.js';
import { unsafePackagePath, type PackageFile } from '../../../domain/plugin-policy.js';
import type { Logger } from '../../../ports/logger.js';
import { run } from '../../runtime/local/exec.js';
import type { WordPressHost } from '../../runtime/local/local-runtime.js';
import { codeDirsAreRoots, secureCodeDirs } from '../../runtime/local/tenant-files.js';
import { tenantRunner } from './php-runner.js';
import { mainFileHashes, updatePluginManifest } from './plugin-manifest.js';

const PLUGIN_SLUG = /^[a-z0-9][a-z0-9._-]{0,99}$/;

export function checkPluginSlug(slug: string): string {
  if (!PLUGIN_SLUG.test(slug)) throw new BbwsError('VALIDATION_FAILED', 'invalid plugin slug', { slug });
  return slug;
}

export function createPluginFiles({ runtime, logger }: { runtime: WordPressHost; logger: Logger }) {
  const pluginDir = (tenantId: string, slug: string) => join(runtime.tenantPaths(tenantId).content, 'plugins', checkPluginSlug(slug));

  /** Runs `command` as the tenant: file changes inside wp-content never follow a tenant's symlink as root. */
  const asTenant = async (tenantId: string, command: string, args: string[]) => {
    await tenantRunner(await runtime.tenantOwner(tenantId), runtime.tenantPaths(tenantId))(command, args);
  };

  /**
   * `rm -rf` as the tenant. Files root left there (a copy not yet handed over by chownToTenant)
   * are then removed by root, but only when no component below wp-content is a symlink.
   */
  const removeAsTenant = async (tenantId: string, path: string) => {
    try {
      await asTenant(tenantId, 'rm', ['-rf', '--', path]);
    } catch (e) {
      const content = runtime.tenantPaths(tenantId).content;
      if (!path.startsWith(`${content}/`)) throw e;
      let p = content;
      for (const part of path.slice(content.length + 1).split('/')) {
        p = join(p, part);
        const st = await lstat(p).catch(() => null);
        if (!st) return;
        if (st.isSymbolicLink()) throw new Error(`refusing to remove ${path} as root: ${p} is a symbolic link`);
      }
      logger.warn({ tenantId, path, err: String(e) }, 'removing files the tenant could not remove (root-owned)');
      await rm(path, { recursive: true, force: true });
    }
  };

  /** content/ and plugins/ are root's real directories (converted when the tenant predates that). */
  const rootOwnedPlugins = async (tenantId: string) => {
    const paths = runtime.tenantPaths(tenantId);
    const owner = await runtime.tenantOwner(tenantId);
    if (owner && !(await codeDirsAreRoots(paths))) {
      logger.warn({ tenantId }, 'making the tenant\'s code directories root\'s (provisioned before the marketplace-only layout)');
      await secureCodeDirs(paths);
    }
    return { paths, owner };
  };

  /**
   * Writes `files` into the new directory `root` (it must not exist). Every path is checked again
   * here, and each file is created exclusively (`wx`), so nothing is written outside `root` or
   * through a link.
   */
  const writePackage = async (root: string, slug: string, files: readonly PackageFile[]) => {
    await mkdir(root, { mode: 0o755 });
    for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
      const why = unsafePackagePath(file.path);
      if (why) throw new BbwsError('PLUGIN_SECURITY_VIOLATION', `plugin ${slug} has a file with ${why}`, { slug, file: file.path.slice(0, 200) });
      const target = join(root, file.path);
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      await writeFile(target, file.content, { flag: 'wx', mode: 0o644 });
    }
  };

  /**
   * Root writes the vetted files beside the live directory, makes them read-only
   * for everyone but root (0644/0755: the edge serves its CSS and JS), renames it into place
   * and records its main files' checksums in the manifest.
   */
  const copyPlugin = async (tenantId: string, slug: string, files: readonly PackageFile[]) => {
    const { paths, owner } = await rootOwnedPlugins(tenantId);
    const target = pluginDir(tenantId, slug);
    const id = randomBytes(4).toString('hex');
    const tmp = `${target}.tmp-${id}`;
    const old = `${target}.old-${id}`;
    try {
      await writePackage(tmp, slug, files);
      if (owner) await run('chown', ['-R', '-h', '0:0', '--', tmp]);
      await run('chmod', ['-R', 'u+rwX,go+rX,go-w', '--', tmp]);
      const hashes = await mainFileHashes(tmp, slug);
      const existed = await lstat(target).then(() => true, () => false);
      if (existed) await rename(target, old);
      await rename(tmp, target);
      await updatePluginManifest(paths, owner, slug, hashes);
      if (existed) await rm(old, { recursive: true, force: true });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  };

  /** Removes a plugin's files (root's) and its manifest entry. */
  const removePlugin = async (tenantId: string, slug: string) => {
    const { paths, owner } = await rootOwnedPlugins(tenantId);
    await updatePluginManifest(paths, owner, slug, null);
    await rm(pluginDir(tenantId, slug), { recursive: true, force: true });
  };

  return { pluginDir, removeAsTenant, copyPlugin, removePlugin };
}
