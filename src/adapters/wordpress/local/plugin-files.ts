/**
 * Plugin directories in the tenant's wp-content. wp-content is the tenant's: it could swap a
 * directory for a symlink to /etc at any time, so changes there are made AS THE TENANT (tenantRunner),
 * and root only ever writes into root-owned places (a staging dir in the root-owned tenant dir).
 */
import { cp, lstat, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BbwsError } from '../../../domain/errors.js';
import type { Logger } from '../../../ports/logger.js';
import { run } from '../../runtime/local/exec.js';
import type { LocalRuntime } from '../../runtime/local/local-runtime.js';
import { tenantRunner } from './php-runner.js';

const PLUGIN_SLUG = /^[a-z0-9][a-z0-9._-]{0,99}$/;

export function checkPluginSlug(slug: string): string {
  if (!PLUGIN_SLUG.test(slug)) throw new BbwsError('VALIDATION_FAILED', 'invalid plugin slug', { slug });
  return slug;
}

export function createPluginFiles({ runtime, logger }: { runtime: LocalRuntime; logger: Logger }) {
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

  /**
   * Root copies the vetted directory into a root-owned staging dir (symlinks refused), the tenant
   * copies it from there beside the live one and renames it into place: the result is the tenant's
   * and root never writes inside the tenant-owned wp-content.
   */
  const copyPlugin = async (tenantId: string, slug: string, sourceDir: string) => {
    const paths = runtime.tenantPaths(tenantId);
    const owner = await runtime.tenantOwner(tenantId);
    const target = pluginDir(tenantId, slug);
    const id = randomBytes(4).toString('hex');
    const staging = join(paths.dir, `staging-${id}`);
    const tmp = `${target}.tmp-${id}`;
    const old = `${target}.old-${id}`;
    try {
      await mkdir(staging, { mode: 0o750 });
      await cp(sourceDir, join(staging, slug), {
        recursive: true,
        errorOnExist: true,
        filter: async (src) => {
          if ((await lstat(src)).isSymbolicLink()) throw new BbwsError('PLUGIN_SECURITY_VIOLATION', `plugin ${slug} contains a symbolic link`, { slug });
          return true;
        },
      });
      if (owner) await run('chown', ['-R', '-h', `0:${owner.gid}`, '--', staging]);
      await run('chmod', ['-R', 'u+rwX,g+rX,g-w,o-rwx', '--', staging]);
      await asTenant(tenantId, 'cp', ['-R', '--', join(staging, slug), tmp]);
      const existed = await lstat(target).then(() => true, () => false);
      if (existed) await asTenant(tenantId, 'mv', ['-T', '--', target, old]);
      await asTenant(tenantId, 'mv', ['-T', '--', tmp, target]);
      if (existed) await asTenant(tenantId, 'rm', ['-rf', '--', old]);
    } finally {
      await rm(staging, { recursive: true, force: true });
      await asTenant(tenantId, 'rm', ['-rf', '--', tmp]).catch(() => undefined);
    }
  };

  return { pluginDir, removeAsTenant, copyPlugin };
}
