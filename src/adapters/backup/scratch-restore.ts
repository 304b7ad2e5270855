/**
 * A backup restored into scratch: its files under `<dataDir>/backup-scratch/<id>/` (restic checks
 * every blob's hash as it restores, so a flipped byte in a pack fails here) and its database
 * loaded into `bbws_scratch_<id>`, then compared with the backup's record: every table's row
 * count and checksum (sql-dump.ts), the triggers, views and routines (dump-objects.ts) and the
 * file tree's digest. Verify then serves the copy and checks its homepages (scratch-serve.ts); an
 * in-place restore moves the scratch copy in (local-restore.ts).
 */
import { lstat, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupRecord } from '../../domain/backup.js';
import type { BackupProgress } from '../../ports/backups.js';
import type { DatabaseServer } from '../runtime/local/mariadb.js';
import { sqlIdentifier } from '../runtime/local/escape.js';
import { digestTree } from '../wordpress/local/backup.js';
import { ownedName } from '../os/owned-names.js';
import { newScratchId, SCRATCH_PREFIX, scratchDbName, scratchRoot } from './backup-paths.js';
import type { ResticRepository } from './restic.js';
import { compareSummaries, dumpDatabase, loadDump } from './sql-dump.js';
import { compareObjects, summarizeObjects } from './dump-objects.js';

export interface ScratchCopy {
  id: string;
  dir: string;
  database: string | null;
  /** The snapshot's database dump inside the scratch dir (null: the snapshot holds none). */
  dump: string | null;
  /** Where the snapshot's file tree is inside the scratch dir (may not exist: the tree was absent). */
  files: string | null;
  remove(): Promise<void>;
}

const exists = (p: string) => lstat(p).then(() => true, () => false);

/** Ids of scratch copies this process is working on: the verify serving's leftover sweep spares them. */
export const scratchInUse = new Set<string>();

/**
 * Restores the backup into scratch and compares it with its record: the dump restored first, then
 * the database load + re-dump beside the files' restore and their digest (MariaDB's work and ours).
 * Returns the copy with what differs (no problems: an exact copy); the caller removes the copy.
 * `files: false` skips the file digest (restore does: restic has authenticated every blob it
 * restored, so the files are the snapshot's; verify compares them with the tree as it was hashed).
 */
export async function restoreToScratch(
  ctx: { dataDir: string; repo: ResticRepository; db: DatabaseServer },
  record: BackupRecord,
  progress: BackupProgress = () => undefined,
  options: { files: boolean } = { files: true },
): Promise<{ copy: ScratchCopy; problems: string[] }> {
  const id = newScratchId();
  // Named after this process: a leftover sweep (backup-leftovers.ts) spares it while we live.
  const dir = join(scratchRoot(ctx.dataDir), ownedName(SCRATCH_PREFIX, id));
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
    const files = record.paths.files ? join(dir, record.paths.files) : null;
    const dump = join(dir, record.paths.work, 'db.sql');
    // The dump first (small), then the files restored while MariaDB loads the dump: two restic
    // runs, but the load (MariaDB's work, mostly waits for its table files) no longer waits for 100 MB.
    const filesRestored = record.paths.files ? ctx.repo.restore(record.snapshotId, dir, [record.paths.files]) : Promise.resolve();
    const dumpRestored = ctx.repo.restore(record.snapshotId, dir, [record.paths.work]);
    const hashFiles = options.files && record.files !== null && files !== null;
    const tables = async (): Promise<string[]> => {
      await dumpRestored;
      progress(hashFiles ? 'load database into scratch, compare files (hashes)' : 'load database into scratch');
      if (!(record.tables.length > 0 || (await exists(dump)))) return [];
      database = scratchDbName(id);
      await ctx.db.sql(`CREATE DATABASE ${sqlIdentifier(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`);
      await loadDump(ctx.db.clientArgs, database, dump);
      const again = await dumpDatabase(ctx.db.clientArgs, database, join(dir, 'verify.sql'));
      const objects = record.objects ? await summarizeObjects(join(dir, 'verify.sql')) : null;
      await rm(join(dir, 'verify.sql'), { force: true });
      return [...compareSummaries(record.tables, again), ...(objects ? compareObjects(record.objects, objects) : [])];
    };
    const tree = async (): Promise<string[]> => {
      await filesRestored;
      if (!hashFiles) return [];
      const d = (await exists(files!)) ? await digestTree(files!) : null;
      if (!d) return ['files: missing from the snapshot'];
      if (d.sha256 !== record.files!.sha256) return [`files: ${d.files} files / ${d.bytes} bytes restored, ${record.files!.files} / ${record.files!.bytes} backed up, digests differ`];
      return [];
    };
    // Both settle before anything is removed: a restic still writing into the dir must not race the cleanup.
    const settled = await Promise.allSettled([tables(), tree()]);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [tableProblems, fileProblems] = settled.map((r) => (r as PromiseFulfilledResult<string[]>).value) as [string[], string[]];
    const problems = [...tableProblems, ...(database === null && record.tables.length > 0 ? ['the snapshot holds no database dump'] : []), ...fileProblems];
    return { copy: { id, dir, database, dump: database ? dump : null, files, remove }, problems };
  } catch (e) {
    await remove().catch(() => undefined);
    throw e;
  }
}
