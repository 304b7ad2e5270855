/**
 * What a platform backup's snapshot holds, and the pieces both its creation (platform-backup.ts)
 * and a disaster recovery (platform-restore.ts) need. The snapshot is one directory:
 *
 * ```
 * <dataDir>/backup-platform/<work>/
 *   meta.json            the backup's record (also in the catalog)
 *   data/state.db        SQLite's online backup API: one consistent copy while bbws runs
 *   data/secrets/        the secret store's files (each AES-256-GCM under the master key)
 *   data/keys.json       master key, JWT signing key, repository password: wrapped under the
 *                        operator's passphrase (key-wrap.ts); never in the snapshot in plain
 *   data/backup-catalog/ every backup's record, templates/ plugins/ audit/ tls/: as they were
 * ```
 *
 * Platform work is under its own root (`backup-platform/`), not `backup-work/`: the backup worker
 * of a running `bbws up` removes what it does not own there, and a platform backup is made by the
 * CLI, beside it.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BackupRecord, BackupTable } from '../../domain/backup.js';
import type { ResticRepository, ResticSnapshot } from './restic.js';
import { readFile, rm } from 'node:fs/promises';

export const platformWorkRoot = (dataDir: string) => join(dataDir, 'backup-platform');
/** The data dir entries copied as they are (beside state.db, the secrets and the wrapped keys). */
export const PLATFORM_DIRS = ['backup-catalog', 'templates', 'plugins', 'audit', 'tls'] as const;
export const PLATFORM_TAGS = ['bbws', 'scope=platform'];

/** Row count and SHA-256 of every table of a SQLite file (rows in rowid order). */
export function summarizeStateDb(file: string): BackupTable[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").all() as Array<{ name: string; sql: string }>;
    return tables.map(({ name, sql }) => {
      const quoted = `"${name.replace(/"/g, '""')}"`;
      const order = /WITHOUT\s+ROWID/i.test(sql) ? '' : ' ORDER BY rowid';
      const hash = createHash('sha256');
      let rows = 0;
      for (const row of db.prepare(`SELECT * FROM ${quoted}${order}`).raw().iterate() as Iterable<unknown[]>) {
        hash.update(JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) ? `b64:${v.toString('base64')}` : typeof v === 'bigint' ? String(v) : v))).update('\n');
        rows++;
      }
      return { name, rows, sha256: hash.digest('hex') };
    });
  } finally {
    db.close();
  }
}

/** Whether SQLite finds the file intact (`PRAGMA integrity_check`). */
export function stateDbIntact(file: string): string | null {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const result = db.pragma('integrity_check', { simple: true });
    return result === 'ok' ? null : `state.db: integrity_check says ${String(result).slice(0, 200)}`;
  } finally {
    db.close();
  }
}

/**
 * The platform snapshot of `backupId` (or the newest with `latest`), found in the repository alone
 * (a disaster recovery has no catalog yet): platform snapshots newest first, each one's meta.json
 * read until the id matches. Returns its record, or null.
 */
export async function findPlatformSnapshot(repo: ResticRepository, backupId: string | 'latest', scratch: string): Promise<{ snapshot: ResticSnapshot; record: BackupRecord } | null> {
  const snapshots = (await repo.snapshots(PLATFORM_TAGS)).sort((a, b) => b.time.localeCompare(a.time));
  for (const snapshot of snapshots) {
    const record = await readSnapshotRecord(repo, snapshot, scratch);
    if (record && record.scope === 'platform' && (backupId === 'latest' || record.backupId === backupId)) return { snapshot, record: { ...record, snapshotId: snapshot.shortId } };
  }
  return null;
}

/** The meta.json a snapshot holds (every bbws snapshot has one at the top of its work dir). */
export async function readSnapshotRecord(repo: ResticRepository, snapshot: ResticSnapshot, scratch: string): Promise<BackupRecord | null> {
  const work = snapshot.paths.find((p) => /\/backup-(work|platform)\/[^/]+$/.test(p));
  if (!work) return null;
  const target = join(scratch, `meta-${snapshot.shortId}`);
  try {
    await repo.restore(snapshot.id, target, [join(work, 'meta.json')]);
    return JSON.parse(await readFile(join(target, work, 'meta.json'), 'utf8')) as BackupRecord;
  } catch {
    return null;
  } finally {
    await rm(target, { recursive: true, force: true });
  }
}
