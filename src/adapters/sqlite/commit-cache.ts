/**
 * A read cache for one SQLite file that is exact across processes: an entry is served only while
 * no transaction has committed to the file since it was read, by this process or any other (the
 * worker and the API may be separate processes writing the same file).
 *
 * The signal is SQLite's WAL-index header, the first 48 bytes of `<db>-shm`, which every
 * connection maps and which each commit rewrites (its `iChange` counter, `mxFrame`, salts and
 * checksums; https://sqlite.org/walformat.html, "The WAL-Index Header"). The writer updates it as
 * the last step of a commit and every reader starts from it, so a header read before a lookup is
 * never newer than what the lookup sees. Reading it is one pread(2), where a read transaction
 * costs two fcntl(2) locks plus the statement: the API's `GET /v1.0/tenants/{id}` budget
 * (docs/benchmarks.md).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { deepFreeze } from '../../domain/deep-freeze.js';
import type { SqliteDatabase } from './database.js';

const HEADER_BYTES = 48;
/** Entries kept for one committed state; past this the cache starts over. */
const MAX_ENTRIES = 4_096;

export interface CommitCache<V> {
  /**
   * The value cached for `key` if nothing has committed since it was loaded, else `load()`'s
   * (cached). Values are shared between callers: treat them as read-only (they are frozen).
   */
  get(key: string, load: () => V): V;
  /** Releases the `-shm` file descriptor. `get` then always loads. */
  close(): void;
}

/**
 * Creates a commit-validated cache for `db`. On a database that is not a WAL file (`:memory:`),
 * or whose `-shm` cannot be read, every `get` loads: the cache is then a no-op, never stale.
 */
export function createCommitCache<V>(db: SqliteDatabase): CommitCache<V> {
  // With locking_mode=EXCLUSIVE the WAL index lives in this connection's heap, not in `-shm`: a
  // header read from a left-over `-shm` file would vouch for entries that are stale.
  if (String(db.pragma('locking_mode', { simple: true })).toLowerCase() === 'exclusive') {
    throw new Error('The read cache needs locking_mode=NORMAL: with EXCLUSIVE, the WAL-index header it validates entries by is not shared. Turn BBWS_READ_CACHE off or open the database in NORMAL locking mode.');
  }
  let fd: number | null = null;
  if (!db.memory && String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal') {
    try {
      fd = openSync(`${db.name}-shm`, 'r');
    } catch {
      fd = null;
    }
  }
  const seen = Buffer.alloc(HEADER_BYTES);
  const now = Buffer.alloc(HEADER_BYTES);
  const entries = new Map<string, V>();

  /** True when `seen` is the current header (entries valid); refreshes it and drops entries otherwise. */
  const unchanged = (): boolean => {
    if (fd === null) return false;
    if (readSync(fd, now, 0, HEADER_BYTES, 0) !== HEADER_BYTES) {
      // Not initialised (or being recreated): nothing can be vouched for.
      seen.fill(0);
      entries.clear();
      return false;
    }
    if (now.equals(seen)) return true;
    now.copy(seen);
    entries.clear();
    return false;
  };

  return {
    get(key, load) {
      // Inside a transaction of this connection a read sees its uncommitted writes, which a
      // rollback may undo and which the header does not reflect yet: never cache those.
      if (db.inTransaction) return load();
      if (unchanged() && entries.has(key)) return entries.get(key) as V;
      const value = deepFreeze(load());
      if (fd !== null) {
        if (entries.size >= MAX_ENTRIES) entries.clear();
        entries.set(key, value);
      }
      return value;
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
      entries.clear();
    },
  };
}
