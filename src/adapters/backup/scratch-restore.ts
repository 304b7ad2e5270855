/**
 * A backup restored into scratch: its files under `<dataDir>/backup-scratch/<id>/` (restic checks
 * every blob's hash as it restores, so a flipped byte in a pack fails here) and its database
 * loaded into `bbws_scratch_<id>`, then compared with the backup's record: every table's row
 * count and checksum (sql-dump.ts) and the file tree's digest. Verify stops there; an in-place
 * restore then swaps the scratch copy in (local-restore.ts).
 */
import { lstat, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupRecord } from '../../domain/backup.js';
import type { BackupProgress } from '../../ports/backups.js';
import type { DatabaseServer } from '../runtime/local/mariadb.js';
import { sqlIdentifier } from '../runtime/local/escape.js';
import { digestTree } from '../wordpress/local/backup.js';
import { newScratchId, scratchDbName, scratchRoot } from './backup-paths.js';
import type { ResticRepository } from './restic.js';
import { compareSummaries, dumpDatabase, loadDump } from './sql-dump.js';

export interface ScratchCopy {
  id: string;
  dir: string;
  database: string | null;
  /** Where the snapshot's file tree is inside the scratch dir (may not exist: the tree was absent). */
  files: string | null;
  remove(): Promise<void>;
}

const exists = (p: string) => lstat(p).then(() => true, () => false);

/** Ids of scratch copies this process is working on: leftovers cleanup spares them. */
export const scratchInUse = new Set<string>();

export async function restoreToScratch(
  ctx: { dataDir: string; repo: ResticRepository; db: DatabaseServer },
  record: BackupRecord,
  progress: BackupProgress = () => undefined,
): Promise<ScratchCopy> {
  const id = newScratchId();
  const dir = join(scratchRoot(ctx.dataDir), id);
  scratchInUse.add(id);
  let database: string | null = null;
  const remove = async () => {
    if (database) await ctx.db.sql(`DROP DATABASE IF EXISTS ${sqlIdentifier(database)};`);
    await rm(dir, { recursive: true, force: true });
    scratchInUse.delete(id);
  };
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    progress('restore snapshot to scratch');
    await ctx.repo.restore(record.snapshotId, dir);
    const dump = join(dir, record.paths.work, 'db.sql');
    if (record.tables.length > 0 || (await exists(dump))) {
      progress('load database into scratch');
      database = scratchDbName(id);
      await ctx.db.sql(`CREATE DATABASE ${sqlIdentifier(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`);
      await loadDump(ctx.db.clientArgs, database, dump);
    }
    return { id, dir, database, files: record.paths.files ? join(dir, record.paths.files) : null, remove };
  } catch (e) {
    await remove().catch(() => undefined);
    throw e;
  }
}

/** What differs between the scratch copy and the backup's record ([] when it is an exact copy). */
/**
 * `files: false` skips the file tree's digest (restore does: restic has authenticated every blob it
 * restored, so the files are the snapshot's; verify compares them with the tree as it was hashed).
 */
export async function compareScratch(ctx: { db: DatabaseServer }, record: BackupRecord, copy: ScratchCopy, progress: BackupProgress = () => undefined, options: { files: boolean } = { files: true }): Promise<string[]> {
  const problems: string[] = [];
  if (copy.database) {
    progress('compare tables (rows, checksums)');
    const again = await dumpDatabase(ctx.db.clientArgs, copy.database, join(copy.dir, 'verify.sql'));
    await rm(join(copy.dir, 'verify.sql'), { force: true });
    problems.push(...compareSummaries(record.tables, again));
  } else if (record.tables.length > 0) problems.push('the snapshot holds no database dump');
  if (options.files && record.files && copy.files) {
    progress('compare files (hashes)');
    const d = (await exists(copy.files)) ? await digestTree(copy.files) : null;
    if (!d) problems.push('files: missing from the snapshot');
    else if (d.sha256 !== record.files.sha256) problems.push(`files: ${d.files} files / ${d.bytes} bytes restored, ${record.files.files} / ${record.files.bytes} backed up, digests differ`);
  }
  return problems;
}
