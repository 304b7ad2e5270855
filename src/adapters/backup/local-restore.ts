/**
 * In-place restore on the local runtime: the backup is restored into scratch and compared with its
 * record first (scratch-restore.ts); only an exact copy is swapped in. The database swap is one
 * `RENAME TABLE` statement (atomic in MariaDB, also across databases): the live tables of the
 * scope move to `bbws_trash_<id>`, the scratch tables take their place, then the trash is dropped;
 * triggers, views and routines are created anew by the tenant's own user (schema-swap.ts).
 * Files follow, moved out of the scratch copy (renames, no copies): a site's uploads are replaced
 * as the tenant (clone.ts's replaceDirectory, through a staging dir the tenant cannot enter until
 * the tree is its own); a tenant's uploads, themes and plugins by root inside the root-owned content dir.
 *
 * A failure before the swap changes nothing. A kill -9 after it leaves the database restored and
 * the files not yet: the operation is redelivered and restores again (idempotent), and the
 * checkpoint taken before (app layer) can still undo it.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupRecord } from '../../domain/backup.js';
import { names } from '../../domain/naming.js';
import type { BackupProgress } from '../../ports/backups.js';
import type { Logger } from '../../ports/logger.js';
import type { Secrets } from '../../ports/secrets.js';
import { run } from '../runtime/local/exec.js';
import { sqlIdentifier } from '../runtime/local/escape.js';
import type { LocalRuntime } from '../runtime/local/local-runtime.js';
import { codeDirsAreRoots } from '../runtime/local/tenant-files.js';
import { replaceDirectory } from '../wordpress/local/clone.js';
import { createTenantAccess } from '../wordpress/local/create-tenant-access.js';
import { trashDbName } from './backup-paths.js';
import type { ResticRepository } from './restic.js';
import { restoreToScratch } from './scratch-restore.js';
import { extractObjects } from './dump-objects.js';
import { createObjectsAsTenant, swapTables } from './schema-swap.js';

interface RestoreContext {
  dataDir: string;
  repo: ResticRepository;
  runtime: LocalRuntime;
  secrets: Secrets;
  logger: Logger;
}

const exists = (p: string) => lstat(p).then(() => true, () => false);

/**
 * Replaces a directory inside the root-owned content dir (themes/, plugins/, uploads/) with the
 * restored one by two renames; root does it, since content/ is root's (runtime/local/tenant-files.ts),
 * then hands the new tree to `owner` (uploads: the tenant's) or keeps it root's (code dirs).
 */
async function replaceContentDir(source: string, target: string, owner: { uid: number; gid: number } | null): Promise<void> {
  const fresh = `${target}.bbws-new`;
  const old = `${target}.bbws-old`;
  if (!(await exists(target)) && (await exists(old))) await run('mv', ['-T', '--', old, target]);
  await run('rm', ['-rf', '--', fresh, old]);
  // The source is the scratch copy, removed afterwards anyway: moved (a rename on the same file system), not copied.
  if (await exists(source)) await run('mv', ['-T', '--', source, fresh], { timeoutMs: 3_600_000 });
  else await run('mkdir', ['--', fresh]);
  await run('chown', ['-R', '-h', owner ? `${owner.uid}:${owner.gid}` : '0:0', '--', fresh]);
  await run('chmod', ['-R', 'u+rwX,go+rX,go-w', '--', fresh]);
  if (await exists(target)) await run('mv', ['-T', '--', target, old]);
  await run('mv', ['-T', '--', fresh, target]);
  await run('rm', ['-rf', '--', old]);
}

/**
 * Restores the backup over `targetTenantId`: its own tenant (in place), or — for a tenant backup —
 * a new tenant provisioned for it (restore-to-new: the original is not touched).
 */
export async function restoreBackupInPlace(ctx: RestoreContext, record: BackupRecord, progress: BackupProgress, targetTenantId = record.tenantId): Promise<void> {
  if (record.scope === 'platform' || !record.tenantId || !targetTenantId) throw new Error('a platform backup is restored with `bbws restore --platform`');
  if (record.siteId && targetTenantId !== record.tenantId) throw new Error('a site backup is restored only in place');
  const tenantId = targetTenantId;
  const { copy, problems } = await restoreToScratch({ dataDir: ctx.dataDir, repo: ctx.repo, db: ctx.runtime.database }, record, progress, { files: false });
  try {
    if (problems.length) throw new Error(`backup ${record.backupId} is not intact, nothing was restored: ${problems.join('; ')}`);
    const paths = ctx.runtime.tenantPaths(tenantId);
    const prefix = record.siteId ? `s${record.siteId}_` : null;
    const live = names.databaseName(tenantId);
    const script = join(copy.dir, 'objects.sql');
    const found = copy.dump ? await extractObjects(copy.dump, script) : { objects: false, routines: false };
    progress('swap database tables in');
    const trash = trashDbName(copy.id);
    await swapTables(ctx.runtime, { live, scratch: copy.database, trash, prefix, replaceRoutines: !prefix && found.routines });
    if (found.objects) {
      progress('create triggers, views and routines (as the tenant)');
      await createObjectsAsTenant(ctx.runtime, ctx.secrets, tenantId, script, copy.dir);
    }
    progress('put files back');
    // The swapped-out tables are dropped while the files go back (a kill leaves bbws_trash_*, which cleanupLeftovers drops).
    const dropped = ctx.runtime.database.sql(`DROP DATABASE IF EXISTS ${sqlIdentifier(trash)};`);
    const access = await createTenantAccess(ctx.runtime, ctx.secrets, tenantId).catch(async (e: unknown) => {
      await dropped.catch(() => undefined);
      throw e;
    });
    try {
      if (record.siteId) {
        await replaceDirectory(access, { path: copy.files ?? join(copy.dir, 'no-files'), owner: 'platform', consume: true }, access.uploadsDir(record.siteId));
      } else {
        const restored = copy.files ?? join(copy.dir, 'no-files');
        const owner = await ctx.runtime.tenantOwner(tenantId);
        // content/ is root's real directory (checked: a tenant cannot have swapped it for a link).
        if (owner && !(await codeDirsAreRoots(paths))) throw new Error(`the content directory of ${tenantId} is not root's: run \`bbws up\` once to repair it, then restore again`);
        // Three directories side by side; all settle before the scratch copy is removed.
        const settled = await Promise.allSettled([
          replaceContentDir(join(restored, 'uploads'), join(paths.content, 'uploads'), owner),
          ...['themes', 'plugins'].map((d) => replaceContentDir(join(restored, d), join(paths.content, d), null)),
        ]);
        const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      }
    } finally {
      await access.close();
      await dropped.catch((e: unknown) => ctx.logger.warn({ action: 'RESTORE_BACKUP', backupId: record.backupId, err: e instanceof Error ? e.message : String(e) }, `${trash} not dropped yet: the next backup job's leftover cleanup drops it`));
    }
    ctx.logger.info({ action: 'RESTORE_BACKUP', status: 'OK', backupId: record.backupId, tenantId, siteId: record.siteId }, 'backup restored in place');
  } finally {
    await copy.remove();
  }
}
