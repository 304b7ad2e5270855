/**
 * The files of a disaster recovery (`bbws restore --platform ID --data-dir DIR`): the platform
 * snapshot opened with the operator's passphrase alone (it is a key of the repository:
 * restic-keys.ts), its keys unwrapped (key-wrap.ts), and the platform's own files written into the
 * fresh data dir — state.db, the secret store with its master key, jwt.key, the backup catalog
 * (completed from the meta.json of every snapshot it does not name, so the tenants' later backups
 * count too), templates, plugins, audit, tls. The tenants' databases and content come after, from
 * their own snapshots (main/restore-platform.ts).
 *
 * Nothing is written before the passphrase proved right: a wrong one is BACKUP_PASSPHRASE_INVALID
 * and the target is not created.
 */
import { copyFile, cp, lstat, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BackupRecord } from '../../domain/backup.js';
import { BbwsError } from '../../domain/errors.js';
import type { BackupCatalog } from '../../ports/backups.js';
import { unwrapKeys, type WrappedKeys } from './key-wrap.js';
import { createResticRepository, type ResticRepository } from './restic.js';
import { opensRepository } from './restic-keys.js';
import { findPlatformSnapshot, PLATFORM_DIRS, readSnapshotRecord, stateDbIntact } from './platform-snapshot.js';

export interface OpenedPlatformBackup {
  record: BackupRecord;
  repo: ResticRepository;
  keys: { secretStoreKey: string; jwtKey: string; repositoryPassword: string };
  /** Writes the platform's files into `dataDir` (which must exist). */
  writeTo(dataDir: string): Promise<void>;
  close(): Promise<void>;
}

const exists = (p: string) => lstat(p).then(() => true, () => false);

/** Opens the repository with the passphrase, finds the platform backup and unwraps its keys. */
/**
 * Where the snapshot is unpacked before the target exists: beside it (`.<name>.platform-restore`,
 * 0700), removed when done and at the start of every attempt, so a kill leaves nothing elsewhere.
 */
export const unpackDirOf = (dataDir: string) => join(dirname(dataDir), `.${basename(dataDir)}.platform-restore`);

export async function openPlatformBackup(o: { repository: string; backupId: string | 'latest'; passphrase: string; dataDir: string }): Promise<OpenedPlatformBackup> {
  await rm(unpackDirOf(o.dataDir), { recursive: true, force: true });
  const can = await opensRepository(o.repository, o.passphrase);
  if (!can.ok) {
    if (can.wrongPassword) throw new BbwsError('BACKUP_PASSPHRASE_INVALID', 'The passphrase is not a key of this repository: it is not the one a platform backup was made with. Nothing was changed.');
    throw new BbwsError('BACKUP_REPOSITORY_UNAVAILABLE', `${new BbwsError('BACKUP_REPOSITORY_UNAVAILABLE').message} restic: ${can.stderr.trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`);
  }
  const repo = createResticRepository({ location: o.repository, password: async () => o.passphrase });
  const scratch = unpackDirOf(o.dataDir);
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  const close = () => rm(scratch, { recursive: true, force: true });
  try {
    const found = await findPlatformSnapshot(repo, o.backupId, scratch);
    if (!found) throw new BbwsError('BACKUP_NOT_FOUND', `No platform backup ${o.backupId === 'latest' ? '' : `${o.backupId} `}in ${o.repository}; \`bbws backup list\` on the old platform, or --platform latest.`, { backupId: o.backupId });
    await repo.restore(found.snapshot.id, scratch);
    const data = join(scratch, found.record.paths.files ?? join(found.record.paths.work, 'data'));
    const keys = (await unwrapKeys(JSON.parse(await readFile(join(data, 'keys.json'), 'utf8')) as WrappedKeys, o.passphrase)) as OpenedPlatformBackup['keys'];
    const broken = stateDbIntact(join(data, 'state.db'));
    if (broken) throw new Error(`platform backup ${found.record.backupId} is damaged: ${broken}`);
    return {
      record: found.record,
      repo,
      keys,
      close,
      async writeTo(dataDir) {
        await copyFile(join(data, 'state.db'), join(dataDir, 'state.db'));
        const secrets = join(dataDir, 'secrets');
        await mkdir(secrets, { recursive: true, mode: 0o700 });
        for (const name of await readdir(join(data, 'secrets'))) await copyFile(join(data, 'secrets', name), join(secrets, name));
        await writeFile(join(secrets, 'master.key'), Buffer.from(keys.secretStoreKey, 'base64'), { mode: 0o600 });
        if (keys.jwtKey) await writeFile(join(dataDir, 'jwt.key'), keys.jwtKey, { mode: 0o600 });
        for (const d of PLATFORM_DIRS) if (await exists(join(data, d))) await cp(join(data, d), join(dataDir, d), { recursive: true, verbatimSymlinks: true });
      },
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Makes the catalog name exactly the snapshots of the repository: records of snapshots pruned
 * since the platform backup go, snapshots made after it (no record yet) get theirs from the
 * meta.json inside them. Returns how many records were added and removed.
 */
export async function reconcileCatalog(repo: ResticRepository, catalog: BackupCatalog, scratch: string): Promise<{ added: number; removed: number }> {
  const snapshots = await repo.snapshots(['bbws']);
  const records = await catalog.list();
  const known = new Set(records.map((r) => r.snapshotId));
  const present = new Set(snapshots.flatMap((s) => [s.id, s.shortId]));
  let removed = 0;
  for (const r of records) {
    if (present.has(r.snapshotId) || [...present].some((id) => id.startsWith(r.snapshotId))) continue;
    await catalog.delete(r.backupId);
    removed++;
  }
  let added = 0;
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  for (const s of snapshots) {
    if (known.has(s.id) || known.has(s.shortId)) continue;
    const record = await readSnapshotRecord(repo, s, scratch);
    if (!record) continue;
    await catalog.put({ ...record, snapshotId: s.shortId });
    added++;
  }
  return { added, removed };
}
