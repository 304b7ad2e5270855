/**
 * The file hashes of a scope's last backup, so an incremental backup does not read unchanged
 * files again to compute the tree digest its record holds (backup.ts's digestTree). The same trust
 * that restic's own change detection gives (restic reads again only files whose metadata changed):
 * a hash is reused only while the file's device, inode, size, mtime and ctime are the ones it was
 * hashed with. A tenant can set mtime back, never ctime (only a change of the system clock can).
 *
 * "Racy" files (as git calls them): a file changed within the same clock tick as its hash could
 * keep the same ctime, so files whose ctime is less than {@link RACY_MS} before the pass are not
 * remembered and are read again next time. Full backups read every file (and renew the cache).
 *
 * One JSON file per scope under `<dataDir>/backup-digests/` (root's, 0600, written atomically
 * after the backup is recorded); a missing or unreadable cache only means every file is read.
 */
import type { Stats } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { KnownFileHashes } from '../wordpress/local/backup.js';
import { writeFileAtomic } from '../files/atomic-write.js';

const RACY_MS = 2_000;

type Entry = [dev: number, ino: number, size: number, mtimeMs: number, ctimeMs: number, sha256: string];

const sameFile = (e: Entry, st: Stats) => e[0] === st.dev && e[1] === st.ino && e[2] === st.size && e[3] === st.mtimeMs && e[4] === st.ctimeMs;

export interface FileDigestCache extends KnownFileHashes {
  /** Files read again in this pass (the others' hashes came from the cache). */
  readonly hashed: number;
  save(): Promise<void>;
}

/** `use: false` (a full backup): nothing is looked up, every hash is renewed. */
export async function openFileDigestCache(file: string, options: { use: boolean; now?: () => number }): Promise<FileDigestCache> {
  const now = options.now ?? Date.now;
  const started = now();
  let old: Record<string, Entry> = {};
  if (options.use) {
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { version?: number; files?: Record<string, Entry> };
      if (parsed.version === 1 && parsed.files && typeof parsed.files === 'object') old = parsed.files;
    } catch {
      old = {};
    }
  }
  const fresh: Record<string, Entry> = {};
  let hashed = 0;
  return {
    get hashed() {
      return hashed;
    },
    lookup(relPath, st) {
      const e = Object.hasOwn(old, relPath) ? old[relPath] : undefined;
      if (!e || !sameFile(e, st) || typeof e[5] !== 'string') return undefined;
      fresh[relPath] = e;
      return e[5];
    },
    remember(relPath, st, sha256) {
      hashed++;
      if (st.ctimeMs < started - RACY_MS && st.mtimeMs < started - RACY_MS) fresh[relPath] = [st.dev, st.ino, st.size, st.mtimeMs, st.ctimeMs, sha256];
    },
    async save() {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(file, JSON.stringify({ version: 1, files: fresh }));
    },
  };
}
