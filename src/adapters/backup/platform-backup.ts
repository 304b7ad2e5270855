/**
 * Platform backups (`bbws backup create --platform`, docs/backups.md "Platform backups"): the state
 * database through SQLite's online backup API (a consistent copy while `bbws up` writes), the
 * secret store's files, and the key material wrapped under the operator's passphrase
 * (key-wrap.ts), snapshotted into the same restic repository as the tenants' backups, with the
 * passphrase added as a key of that repository (restic-keys.ts) so a disaster recovery can open it.
 *
 * Made by the CLI on the host, not by the worker: the passphrase never travels through the API,
 * a queue message or state.db. All or nothing like a tenant backup: the record is written only
 * after the snapshot exists; a failure forgets the snapshot again; a kill leaves a work dir and at
 * most a snapshot without a record, both removed by the next platform backup.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, cp, lstat, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { newBackupId, UNVERIFIED, type BackupRecord } from '../../domain/backup.js';
import type { Environment } from '../../domain/naming.js';
import type { BackupCatalog, BackupProgress } from '../../ports/backups.js';
import type { Logger } from '../../ports/logger.js';
import type { Secrets } from '../../ports/secrets.js';
import { createLocalSecrets } from '../secrets/local.js';
import { digestTree } from '../wordpress/local/backup.js';
import { repositoryDir, repositoryPasswordSecret } from './backup-paths.js';
import { unwrapKeys, wrapKeys, type WrappedKeys } from './key-wrap.js';
import { createResticRepository, type ResticRepository } from './restic.js';
import { ensurePassphraseKey, removeUnusedPassphraseKeys } from './restic-keys.js';
import { BbwsError } from '../../domain/errors.js';
import { claimEntry, entryIsOrphan, releaseEntry } from '../os/owned-names.js';
import { sweepOwnedEntries } from './backup-leftovers.js';
import { PLATFORM_DIRS, PLATFORM_TAGS, platformWorkRoot, stateDbIntact, summarizeStateDb } from './platform-snapshot.js';
import { compareSummaries } from './sql-dump.js';

export interface PlatformBackupOptions {
  dataDir: string;
  env: Environment;
  baseDomain: string;
  /** The edge's port (WordPress's URLs carry it when it is not 80/443): the restored platform must use the same. */
  edgePort?: number | null;
  /** A restic repository string (default `<dataDir>/backups`). */
  repository?: string | null;
  secrets: Secrets;
  catalog: BackupCatalog;
  logger: Logger;
  passphrase: string;
  progress?: BackupProgress;
  /** Passphrase keys younger than this are never removed (a platform backup beside this one may have just added one). Default 1 h. */
  passphraseKeyMinAgeMs?: number;
}

const exists = (p: string) => lstat(p).then(() => true, () => false);

/** The repository of the data dir, opened with its own password (generated on first use, as the engine does). */
export function platformRepository(o: { dataDir: string; env: Environment; repository?: string | null; secrets: Secrets }): { repo: ResticRepository; password: () => Promise<string> } {
  const password = async () => {
    const name = repositoryPasswordSecret(o.env);
    const existing = await o.secrets.get(name);
    if (existing) return existing;
    const fresh = randomBytes(32).toString('base64url');
    await o.secrets.put(name, fresh);
    return fresh;
  };
  return { repo: createResticRepository({ location: o.repository ?? repositoryDir(o.dataDir), password }), password };
}

/** Copies the secret store's encrypted files (not its master key: that goes wrapped). */
async function copySecretFiles(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o700 });
  for (const name of await readdir(from).catch(() => [] as string[])) if (name.endsWith('.secret')) await copyFile(join(from, name), join(to, name));
}

export async function createPlatformBackup(o: PlatformBackupOptions): Promise<BackupRecord> {
  const progress = o.progress ?? (() => undefined);
  const logger = o.logger.child({ component: 'backups' });
  const { repo, password: repositoryPassword } = platformRepository(o);
  const backupId = newBackupId();
  const work = join(platformWorkRoot(o.dataDir), 'current');
  const data = join(work, 'data');
  let snapshotId: string | null = null;
  let claimed = false;
  try {
    progress('open the repository');
    if (!/^[a-z0-9]+:/.test(repo.location)) await mkdir(repo.location, { recursive: true, mode: 0o700 });
    await repo.init();
    const password = await repositoryPassword();
    const { keyId: passphraseKeyId } = await ensurePassphraseKey(repo.location, password, o.passphrase);
    // What a killed platform backup or verify left (owner gone) goes; a live one's is not ours to take.
    await sweepOwnedEntries(platformWorkRoot(o.dataDir));
    if (!(await entryIsOrphan(platformWorkRoot(o.dataDir), 'current'))) throw new BbwsError('OPERATION_IN_PROGRESS', 'Another platform backup is running on this data dir.');
    await claimEntry(platformWorkRoot(o.dataDir), 'current');
    claimed = true;
    await removeOrphanPlatformSnapshots(repo, o.catalog);
    await rm(work, { recursive: true, force: true });
    await mkdir(data, { recursive: true, mode: 0o700 });

    progress('copy state.db (SQLite online backup)');
    const live = new Database(join(o.dataDir, 'state.db'), { readonly: true, fileMustExist: true });
    try {
      await live.backup(join(data, 'state.db'));
    } finally {
      live.close();
    }
    const tables = summarizeStateDb(join(data, 'state.db'));

    progress('copy the secret store and wrap the keys under the passphrase');
    await copySecretFiles(join(o.dataDir, 'secrets'), join(data, 'secrets'));
    const keys = {
      secretStoreKey: (await readFile(join(o.dataDir, 'secrets', 'master.key'))).toString('base64'),
      jwtKey: (await readFile(join(o.dataDir, 'jwt.key'), 'utf8').catch(() => '')).trim(),
      repositoryPassword: password,
    };
    await writeFile(join(data, 'keys.json'), `${JSON.stringify(await wrapKeys(keys, o.passphrase))}\n`, { mode: 0o600 });
    for (const d of PLATFORM_DIRS) if (await exists(join(o.dataDir, d))) await cp(join(o.dataDir, d), join(data, d), { recursive: true, verbatimSymlinks: true });

    const files = await digestTree(data);
    const record: BackupRecord = {
      backupId,
      scope: 'platform',
      type: 'full',
      reason: 'manual',
      tenantId: null,
      siteId: null,
      parentId: null,
      snapshotId: '',
      createdAt: new Date().toISOString(),
      sites: [],
      spec: { env: o.env, baseDomain: o.baseDomain, edgePort: o.edgePort ?? null, tenants: tables.find((t) => t.name === 'tenants')?.rows ?? null, passphraseKeyId },
      wordpressVersion: null,
      tables,
      files,
      sizes: { databaseBytes: (await lstat(join(data, 'state.db'))).size, filesBytes: files.bytes, repositoryAdded: 0 },
      verification: UNVERIFIED,
      paths: { work, files: data },
    };
    await writeFile(join(work, 'meta.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    progress('snapshot to the repository (restic)');
    const result = await repo.backup([work], { tags: PLATFORM_TAGS, force: true });
    snapshotId = result.snapshotId;
    const done: BackupRecord = { ...record, snapshotId, sizes: { ...record.sizes, repositoryAdded: result.dataAdded } };
    await o.catalog.put(done);
    logger.info({ action: 'BACKUP', status: 'OK', backupId, scope: 'platform', snapshotId, repositoryAdded: result.dataAdded }, 'platform backup created');
    // Each new passphrase adds a key: those no kept platform backup is wrapped under go (after the record exists).
    const keep = new Set((await o.catalog.list({ scope: 'platform' })).map((r) => r.spec?.passphraseKeyId).filter((k): k is string => typeof k === 'string'));
    keep.add(passphraseKeyId);
    const removedKeys = await removeUnusedPassphraseKeys(repo.location, password, keep, o.passphraseKeyMinAgeMs ?? 3_600_000).catch((e: unknown) => {
      logger.warn({ action: 'BACKUP', backupId, err: e instanceof Error ? e.message : String(e) }, 'unused passphrase keys not removed: the next platform backup tries again');
      return [];
    });
    if (removedKeys.length) logger.info({ action: 'BACKUP', backupId, removedKeys }, `removed ${removedKeys.length} passphrase keys no kept platform backup needs`);
    return done;
  } catch (e) {
    if (snapshotId) await repo.forgetSnapshots([snapshotId]).catch(() => undefined);
    logger.error({ action: 'BACKUP', status: 'FAILED', backupId, scope: 'platform', err: e instanceof Error ? e.message : String(e) }, 'platform backup failed');
    throw e;
  } finally {
    if (claimed) {
      await rm(work, { recursive: true, force: true }).catch(() => undefined);
      await releaseEntry(platformWorkRoot(o.dataDir), 'current').catch(() => undefined);
    }
  }
}

/** Platform snapshots no record names: left by a platform backup killed between snapshot and record. */
async function removeOrphanPlatformSnapshots(repo: ResticRepository, catalog: BackupCatalog): Promise<void> {
  const known = new Set((await catalog.list({ scope: 'platform' })).map((r) => r.snapshotId));
  const orphans = (await repo.snapshots(PLATFORM_TAGS)).filter((s) => !known.has(s.shortId) && !known.has(s.id)).map((s) => s.id);
  await repo.forgetSnapshots(orphans);
}

/**
 * Restores a platform backup into scratch and checks it: the file tree's digest, state.db's
 * integrity and every table's rows and checksum; with the passphrase also that the keys unwrap and
 * the master key opens every secret. Records the result on the backup (VERIFIED or FAILED).
 */
export async function verifyPlatformBackup(o: Omit<PlatformBackupOptions, 'passphrase'> & { passphrase: string | null; record: BackupRecord }): Promise<BackupRecord> {
  const progress = o.progress ?? (() => undefined);
  const { repo } = platformRepository(o);
  const scratch = join(platformWorkRoot(o.dataDir), `verify-${o.record.backupId}`);
  const started = Date.now();
  const problems: string[] = [];
  try {
    await claimEntry(platformWorkRoot(o.dataDir), basename(scratch));
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true, mode: 0o700 });
    progress('restore snapshot to scratch');
    await repo.restore(o.record.snapshotId, scratch);
    const data = join(scratch, o.record.paths.files ?? join(o.record.paths.work, 'data'));
    progress('compare files (hashes), state.db (integrity, rows, checksums)');
    const digest = await digestTree(data);
    if (o.record.files && digest.sha256 !== o.record.files.sha256) problems.push(`files: ${digest.files} files / ${digest.bytes} bytes restored, ${o.record.files.files} / ${o.record.files.bytes} backed up, digests differ`);
    const broken = stateDbIntact(join(data, 'state.db'));
    if (broken) problems.push(broken);
    else problems.push(...compareSummaries(o.record.tables, summarizeStateDb(join(data, 'state.db'))).map((p) => `state.db ${p}`));
    if (o.passphrase !== null) {
      progress('unwrap the keys and open every secret');
      const keys = await unwrapKeys(JSON.parse(await readFile(join(data, 'keys.json'), 'utf8')) as WrappedKeys, o.passphrase);
      await writeFile(join(scratch, 'master.key'), Buffer.from(keys.secretStoreKey ?? '', 'base64'), { mode: 0o600 });
      const store = createLocalSecrets({ dir: join(data, 'secrets'), keyFile: join(scratch, 'master.key') });
      for (const name of await store.list('')) await store.get(name).catch(() => problems.push(`secret ${name} does not open with the wrapped master key`));
    }
  } catch (e) {
    if (e instanceof Error && 'code' in e && (e as { code: unknown }).code === 'BACKUP_PASSPHRASE_INVALID') throw e;
    problems.push(e instanceof Error ? e.message.slice(0, 400) : String(e));
  } finally {
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    await releaseEntry(platformWorkRoot(o.dataDir), basename(scratch)).catch(() => undefined);
  }
  const error = problems.length ? `backup ${o.record.backupId} failed verification: ${problems.join('; ')}` : null;
  const updated: BackupRecord = { ...o.record, verification: { status: error ? 'FAILED' : 'VERIFIED', verifiedAt: new Date().toISOString(), error, durationMs: Date.now() - started } };
  await o.catalog.put(updated);
  return updated;
}
