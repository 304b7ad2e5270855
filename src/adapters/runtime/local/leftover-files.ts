/**
 * Files `bbws cleanup --type safe` removes (seed 002 §Resource Cleanup: "logs older than 30 days",
 * "temp files"), in the data dir and the runtime tree:
 * - temp files: what a write-then-rename (files/atomic-write.ts, `….tmp`) or a half-made link or
 *   dir (`….tmp-…`) leaves behind when its process is killed, unchanged for an hour (no write
 *   takes that long);
 * - old logs: rotated platform logs (`logs/bbws.<from>.<to>.jsonl[.gz]`) unchanged for 30 days.
 * Never inside a tenant's tree (the tenant's own files), MariaDB's data, the edge's page cache or
 * the backup repository (restic's). Links are removed as links, never followed. Each file is checked again (still there,
 * still as old) just before it is removed.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LeftoverFile } from '../../../ports/runtime.js';
import { repositoryDir } from '../../backup/backup-paths.js';
import { parseRotatedName } from '../../logs/log-files.js';
import type { Layout } from './layout.js';

export const TEMP_FILE_MIN_AGE_MS = 3_600_000;
export const OLD_LOG_MIN_AGE_MS = 30 * 86_400_000;
const TEMP_NAME = /\.tmp$|\.tmp-/;
/** Deep enough for every dir bbws writes temp files in (routes, secrets, catalog, edge state). */
const MAX_DEPTH = 4;

interface Where {
  dataDir: string;
  layout: Pick<Layout, 'root' | 'tenantsDir' | 'mariadbDir' | 'edgeCache'>;
}

function kindOf(dir: string, name: string, where: Where): LeftoverFile['kind'] | null {
  if (TEMP_NAME.test(name)) return 'temp-file';
  if (dir === join(where.dataDir, 'logs') && parseRotatedName(name)) return 'log';
  return null;
}

/** Tenants' own files, MariaDB's and restic's, and nginx's page cache (many files, none of them temp). */
const skippedDirs = (where: Where) => [where.layout.tenantsDir, where.layout.mariadbDir, where.layout.edgeCache, repositoryDir(where.dataDir)];

const minAgeOf = (kind: LeftoverFile['kind']) => (kind === 'log' ? OLD_LOG_MIN_AGE_MS : TEMP_FILE_MIN_AGE_MS);

async function walk(dir: string, depth: number, skip: ReadonlySet<string>, where: Where, now: number, out: LeftoverFile[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return; // gone meanwhile, or not ours to read
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (skip.has(path)) continue;
    const kind = kindOf(dir, e.name, where);
    if (kind) {
      const st = await lstat(path).catch(() => null);
      if (st && now - st.mtimeMs >= minAgeOf(kind)) out.push({ kind, path, bytes: st.isDirectory() ? 0 : st.size, modifiedAt: st.mtime.toISOString() });
    } else if (e.isDirectory() && depth < MAX_DEPTH) {
      await walk(path, depth + 1, skip, where, now, out);
    }
  }
}

export async function listLeftoverFiles(where: Where, now: number): Promise<LeftoverFile[]> {
  const skip = new Set(skippedDirs(where));
  const out: LeftoverFile[] = [];
  await walk(where.dataDir, 0, new Set([...skip, where.layout.root]), where, now, out);
  await walk(where.layout.root, 0, skip, where, now, out);
  return out;
}

const within = (path: string, dir: string) => path.startsWith(`${dir}/`);

/** Removes `file` if it still is a leftover (same rules, read again now). Idempotent. */
export async function removeLeftoverFile(where: Where, file: LeftoverFile, now: number): Promise<boolean> {
  const { path } = file;
  if (resolve(path) !== path) return false;
  const dir = path.slice(0, path.lastIndexOf('/'));
  const skipped = skippedDirs(where).some((d) => path === d || within(path, d));
  if (skipped || !(within(path, where.dataDir) || within(path, where.layout.root)) || kindOf(dir, path.slice(dir.length + 1), where) !== file.kind) return false;
  const st = await lstat(path).catch(() => null);
  if (!st || now - st.mtimeMs < minAgeOf(file.kind)) return false;
  await rm(path, { recursive: true, force: true });
  return true;
}
