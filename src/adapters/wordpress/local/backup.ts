/**
 * Site backups for promote and its undo (not the operator's disaster-recovery backups, which
 * must leave the host).
 *
 * Design: tables are copied inside the tenant's database under `b<backupId>_<suffix>`
 * (CREATE TABLE … LIKE + INSERT … SELECT), uploads are copied with `cp -a` to
 * `<backupsDir>/<siteId>/<backupId>/uploads`, and a manifest there lists every table with its
 * row count, `CHECKSUM TABLE` and AUTO_INCREMENT, and the uploads' file count, size and SHA-256
 * tree digest. Why tables and not a dump file: the server copies rows itself, so every byte,
 * date ('0000-00-00'), float and binary value comes back exactly, with no client-side encoding in
 * between, at the server's speed; and restore swaps the copy in with one atomic RENAME TABLE.
 * The manifest is written last: a backup without one is incomplete and is never restored from.
 * Restore verifies the checksums before it swaps anything in.
 *
 * A kill during a backup leaves its tables and a directory without a manifest, which nothing
 * references: the next backup or restore of the same site removes them
 * ({@link removeIncompleteBackups}). Backups still being written by this process are spared;
 * no other process writes them (only the process holding the data dir's worker lock runs sites).
 */
import { createHash, randomInt } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readFile, readdir, readlink, rm } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import type { SiteRef } from '../../../ports/wordpress.js';
import { copyTables, dropTables, listTables, prefixOf, replaceDirectory, swapTables, table } from './clone.js';
import type { TenantAccess } from './tenant-access.js';
import { writeFileAtomic } from '../../files/atomic-write.js';

export interface BackupManifest {
  version: 1;
  backupId: string;
  tenantId: string;
  siteId: string;
  createdAt: string;
  tables: Array<{ suffix: string; rows: number; checksum: string; autoIncrement: number | null }>;
  /** null: the site had no uploads directory. */
  uploads: TreeDigest | null;
}

export interface TreeDigest {
  files: number;
  bytes: number;
  sha256: string;
}

/** Same alphabet and length as site ids, so `b<backupId>_` is as long as `s<siteId>_`. */
function newBackupId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 10 }, () => alphabet[randomInt(alphabet.length)]).join('');
}

function backupDir(access: TenantAccess, site: SiteRef, backupId: string): string {
  prefixOf('b', backupId); // validates the id before it becomes a path
  prefixOf('s', site.siteId);
  return join(access.backupsDir, site.siteId, backupId);
}

/**
 * Content hashes of files known from an earlier pass, by path and metadata (backup/file-digest-cache.ts):
 * `lookup` returns the hash only while the file's inode, size, mtime and ctime are the ones seen then.
 */
export interface KnownFileHashes {
  lookup(relPath: string, st: Stats): string | undefined;
  remember(relPath: string, st: Stats, sha256: string): void;
}

/**
 * SHA-256 over the sorted relative paths, types, sizes, contents and symlink targets of a tree:
 * two trees with the same digest hold the same files (modes and times are not part of it).
 * With `known`, files whose metadata did not change since they were hashed are not read again.
 */
export async function digestTree(root: string, known?: KnownFileHashes): Promise<TreeDigest> {
  const total = createHash('sha256');
  let files = 0;
  let bytes = 0;
  const walk = async (rel: string): Promise<void> => {
    const entries = (await readdir(join(root, rel))).sort();
    for (const name of entries) {
      const path = join(root, rel, name);
      const relPath = rel ? `${rel}/${name}` : name;
      const st = await lstat(path);
      if (st.isDirectory()) {
        total.update(`d\0${relPath}\0`);
        await walk(relPath);
      } else if (st.isSymbolicLink()) {
        total.update(`l\0${relPath}\0${await readlink(path)}\0`);
      } else if (st.isFile()) {
        let sha = known?.lookup(relPath, st);
        if (sha === undefined) {
          const h = createHash('sha256');
          for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
          sha = h.digest('hex');
          known?.remember(relPath, st, sha);
        }
        total.update(`f\0${relPath}\0${st.size}\0${sha}\0`);
        files++;
        bytes += st.size;
      }
    }
  };
  await walk('');
  return { files, bytes, sha256: total.digest('hex') };
}

async function checksums(access: TenantAccess, prefix: string, suffixes: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (suffixes.length === 0) return out;
  const rows = await access.query<{ Table: string; Checksum: unknown }>(`CHECKSUM TABLE ${suffixes.map((s) => table(prefix, s)).join(', ')}`);
  for (const r of rows) out.set(String(r.Table).split('.').pop()!.slice(prefix.length), String(r.Checksum));
  return out;
}

async function autoIncrements(access: TenantAccess, prefix: string): Promise<Map<string, number | null>> {
  const rows = await access.query<{ name: string; ai: number | string | null }>(
    'SELECT TABLE_NAME AS name, AUTO_INCREMENT AS ai FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND LEFT(TABLE_NAME, ?) = ?',
    [prefix.length, prefix],
  );
  return new Map(rows.map((r) => [String(r.name).slice(prefix.length), r.ai === null ? null : Number(r.ai)]));
}

const exists = (p: string) => lstat(p).then(() => true, () => false);

/** `<tenant>/<site>/<backupId>` of the backups this process is writing right now. */
const inProgress = new Set<string>();
const backupKey = (site: SiteRef, backupId: string) => `${site.tenantId}/${site.siteId}/${backupId}`;

/**
 * Removes the site's backups that have no manifest (a kill or a crash cut them short) and that
 * this process is not writing: their `b<id>_` tables and directory. With `keep` (an id, or null
 * for none), complete backups other than that one go too: a promote killed after its backup but
 * before the site record referred to it. Returns the removed ids.
 */
export async function removeIncompleteBackups(access: TenantAccess, site: SiteRef, keep?: string | null): Promise<string[]> {
  prefixOf('s', site.siteId);
  const root = join(access.backupsDir, site.siteId);
  const removed: string[] = [];
  for (const id of await readdir(root).catch(() => [] as string[])) {
    if (!/^[a-z0-9]{10}$/.test(id) || inProgress.has(backupKey(site, id))) continue;
    if (id === keep || (keep === undefined && (await exists(join(root, id, 'manifest.json'))))) continue;
    await deleteSiteBackup(access, site, id);
    removed.push(id);
  }
  return removed;
}

/**
 * Saves the site's tables and uploads; returns the backup id. On failure, whatever was copied
 * is removed again, so a backup either exists completely (with its manifest) or not at all.
 */
export interface BackupOptions {
  /** See {@link removeIncompleteBackups}. */
  keep?: string | null;
  /** Called after the tables are copied (`backup-tables-copied`); lets tests stop there. */
  onStep?: (step: string) => void | Promise<void>;
}

export async function backupSiteData(access: TenantAccess, site: SiteRef, options: BackupOptions = {}): Promise<string> {
  const backupId = newBackupId();
  const dir = backupDir(access, site, backupId);
  const bp = prefixOf('b', backupId);
  const live = prefixOf('s', site.siteId);
  await removeIncompleteBackups(access, site, options.keep);
  inProgress.add(backupKey(site, backupId));
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Read before the copy: rows inserted meanwhile only make the saved counter higher (a gap, never a reuse).
    const ai = await autoIncrements(access, live);
    const suffixes = await copyTables(access, live, bp);
    await options.onStep?.('backup-tables-copied');
    const sums = await checksums(access, bp, suffixes);
    const tables = [];
    for (const s of suffixes) {
      const [{ n }] = await access.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table(bp, s)}`);
      tables.push({ suffix: s, rows: Number(n), checksum: sums.get(s)!, autoIncrement: ai.get(s) ?? null });
    }
    const uploadsSource = access.uploadsDir(site.siteId);
    let uploads: TreeDigest | null = null;
    if (await exists(uploadsSource)) {
      // Read as the tenant: a symlink in place of uploads/ or sites/ cannot make root copy another tenant's files.
      await access.copyTenantTree(uploadsSource, join(dir, 'uploads'));
      if (!(await lstat(join(dir, 'uploads'))).isDirectory()) throw new Error(`the uploads of site ${site.siteId} are not a directory (a symbolic link?)`);
      uploads = await digestTree(join(dir, 'uploads'));
    }
    const manifest: BackupManifest = { version: 1, backupId, tenantId: site.tenantId, siteId: site.siteId, createdAt: new Date().toISOString(), tables, uploads };
    await writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return backupId;
  } catch (e) {
    await deleteSiteBackup(access, site, backupId).catch(() => undefined);
    throw e;
  } finally {
    inProgress.delete(backupKey(site, backupId));
  }
}

export async function readBackupManifest(access: TenantAccess, site: SiteRef, backupId: string): Promise<BackupManifest> {
  const file = join(backupDir(access, site, backupId), 'manifest.json');
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) throw new Error(`backup ${backupId} of site ${site.siteId} does not exist or is incomplete`);
  const m = JSON.parse(text) as BackupManifest;
  if (m.version !== 1 || m.backupId !== backupId || m.siteId !== site.siteId || m.tenantId !== site.tenantId) throw new Error(`backup ${backupId}: manifest does not belong to this site`);
  return m;
}

function assertChecksums(what: string, expected: BackupManifest['tables'], actual: Map<string, string>): void {
  const bad = expected.filter((t) => actual.get(t.suffix) !== t.checksum).map((t) => t.suffix);
  if (bad.length > 0 || actual.size !== expected.length) throw new Error(`${what}: checksum mismatch in ${bad.join(', ') || 'table set'}`);
}

/**
 * Puts the site back exactly as it was when the backup was taken: tables (rows, definitions,
 * AUTO_INCREMENT counters; tables created since are dropped) and uploads. Verifies the backup
 * before touching the site and the copy before swapping it in. Idempotent; the backup is kept.
 */
export async function restoreSiteData(access: TenantAccess, site: SiteRef, backupId: string): Promise<void> {
  const m = await readBackupManifest(access, site, backupId);
  await removeIncompleteBackups(access, site);
  const dir = backupDir(access, site, backupId);
  const bp = prefixOf('b', backupId);
  const work = prefixOf('w', site.siteId);
  const suffixes = m.tables.map((t) => t.suffix);
  const present = await listTables(access, bp);
  if (present.join('\0') !== [...suffixes].sort().join('\0')) throw new Error(`backup ${backupId}: its tables are missing or changed`);
  assertChecksums(`backup ${backupId}`, m.tables, await checksums(access, bp, suffixes));
  if (m.uploads) {
    const d = await digestTree(join(dir, 'uploads'));
    if (d.sha256 !== m.uploads.sha256) throw new Error(`backup ${backupId}: uploads changed since the backup was taken`);
  }

  await dropTables(access, work);
  await copyTables(access, bp, work);
  for (const t of m.tables) {
    if (t.autoIncrement !== null && Number.isSafeInteger(t.autoIncrement) && t.autoIncrement > 0)
      await access.query(`ALTER TABLE ${table(work, t.suffix)} AUTO_INCREMENT = ${t.autoIncrement}`);
  }
  assertChecksums(`restore of ${backupId}`, m.tables, await checksums(access, work, suffixes));
  await replaceDirectory(access, { path: m.uploads ? join(dir, 'uploads') : join(dir, 'no-uploads'), owner: 'platform' }, access.uploadsDir(site.siteId));
  if (!m.uploads) await access.asTenant('rm', ['-rf', '--', access.uploadsDir(site.siteId)]);
  await swapTables(access, prefixOf('s', site.siteId), work, prefixOf('o', site.siteId));
}

/** Removes the backup's tables and files. Idempotent. */
export async function deleteSiteBackup(access: TenantAccess, site: SiteRef, backupId: string): Promise<void> {
  const dir = backupDir(access, site, backupId);
  await dropTables(access, prefixOf('b', backupId));
  await rm(dir, { recursive: true, force: true });
}
