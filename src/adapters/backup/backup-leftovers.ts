/**
 * What a killed backup, verify or restore leaves behind, and its removal (run before every
 * backup operation, log line BACKUP_LEFTOVERS). Every scratch thing these paths make is owned by
 * the process that made it (os/owned-names.ts), so the sweep removes exactly what a dead process
 * left — never the work of a live one, be it this process, another worker or the CLI:
 *
 * | made by | what | owner |
 * |---|---|---|
 * | a backup | `<dataDir>/backup-work/<scope>/` (dump, meta.json) | `<scope>.owner` beside it |
 * | verify, restore | `<dataDir>/backup-scratch/scratch-<pid>.<start>-<id>/`, databases `bbws_scratch_<id>`, `bbws_trash_<id>` | the dir's name; a database is an orphan once no live dir has its id |
 * | a site restore, clone, promote | `staging-<pid>.<start>-<hex>/` in a tenant's root-owned dir | its name |
 * | the catalog, the digest cache | `*.<pid>-<hex>.tmp` (writeFileAtomic) | the PID in its name |
 * | a backup | a snapshot without a record | its work dir's owner |
 * | restic | a stale lock | `restic unlock` (restic keeps the locks of live processes) |
 *
 * Directories a tenant may have written into (a staging dir handed to it) are removed by GNU `rm
 * -rf --one-file-system`, which does not follow a symlink swapped in under it.
 */
import { readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BackupCatalog } from '../../ports/backups.js';
import { entryIsOrphan, isOrphanName, isOrphanTempFile, ownerFileOf } from '../os/owned-names.js';
import { run } from '../runtime/local/exec.js';
import { sqlIdentifier } from '../runtime/local/escape.js';
import type { LocalRuntime } from '../runtime/local/local-runtime.js';
import { catalogDir, digestCacheFile, SCRATCH_DB, SCRATCH_PREFIX, scratchRoot, workRoot } from './backup-paths.js';
import type { ResticRepository } from './restic.js';

const entries = (dir: string) => readdir(dir).catch(() => [] as string[]);

/** Removes the entries of `root` whose owner is gone (and their owner files); returns the paths removed. */
export async function sweepOwnedEntries(root: string): Promise<string[]> {
  const removed: string[] = [];
  const names = await entries(root);
  for (const name of names) {
    if (name.endsWith('.owner')) {
      const entry = name.slice(0, -'.owner'.length);
      if (!names.includes(entry) && (await entryIsOrphan(root, entry))) await rm(join(root, name), { force: true });
      continue;
    }
    if (!(await entryIsOrphan(root, name))) continue;
    await rm(join(root, name), { recursive: true, force: true });
    await rm(ownerFileOf(root, name), { force: true });
    removed.push(join(root, name));
  }
  return removed;
}

/** Scratch dirs are named after their owner; names of 12 letters/digits were made before (their process is gone). */
const scratchIsOrphan = (name: string) => /^[a-z0-9]{12}$/.test(name) || isOrphanName(name, SCRATCH_PREFIX);
const scratchIdOf = (name: string) => /-([a-z0-9]{12})$/.exec(name)?.[1] ?? name;

export async function removeBackupLeftovers(o: { dataDir: string; runtime: LocalRuntime; repo: ResticRepository; catalog: BackupCatalog }): Promise<string[]> {
  const removed = await sweepOwnedEntries(workRoot(o.dataDir));
  const live = new Set<string>();
  for (const name of await entries(scratchRoot(o.dataDir))) {
    if (!scratchIsOrphan(name)) {
      live.add(scratchIdOf(name));
      continue;
    }
    await rm(join(scratchRoot(o.dataDir), name), { recursive: true, force: true });
    removed.push(join(scratchRoot(o.dataDir), name));
  }
  const dbs = (await o.runtime.database.sql("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'bbws\\_%';")).split('\n').map((l) => l.trim());
  for (const name of dbs) {
    if (!SCRATCH_DB.test(name) || live.has(name.slice(name.lastIndexOf('_') + 1))) continue;
    await o.runtime.database.sql(`DROP DATABASE IF EXISTS ${sqlIdentifier(name)};`);
    removed.push(`database ${name}`);
  }
  for (const tenant of await entries(o.runtime.layout.tenantsDir)) {
    const dir = join(o.runtime.layout.tenantsDir, tenant);
    for (const name of await entries(dir)) {
      if (!isOrphanName(name, 'staging')) continue;
      await run('rm', ['-rf', '--one-file-system', '--', join(dir, name)], { timeoutMs: 600_000 });
      removed.push(join(dir, name));
    }
  }
  for (const dir of [catalogDir(o.dataDir), dirname(digestCacheFile(o.dataDir, 'x'))]) {
    for (const name of await entries(dir)) {
      if (!isOrphanTempFile(name)) continue;
      await rm(join(dir, name), { force: true });
      removed.push(join(dir, name));
    }
  }
  await o.repo.unlock().catch(() => undefined);
  // A snapshot without a record is a leftover once its work dir has no live owner (a backup still
  // running writes its record after the snapshot). Platform snapshots are the CLI's (platform-backup.ts).
  const known = new Set((await o.catalog.list()).map((r) => r.snapshotId));
  const orphans: string[] = [];
  for (const s of await o.repo.snapshots(['bbws'])) {
    if (known.has(s.shortId) || known.has(s.id) || s.tags.includes('scope=platform')) continue;
    const work = s.paths.find((p) => dirname(p) === workRoot(o.dataDir));
    if (work && !(await entryIsOrphan(workRoot(o.dataDir), work.slice(workRoot(o.dataDir).length + 1)))) continue;
    orphans.push(s.id);
  }
  await o.repo.forgetSnapshots(orphans);
  removed.push(...orphans.map((id) => `snapshot ${id}`));
  return removed;
}
