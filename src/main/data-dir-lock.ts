/**
 * One platform per data dir: the process that runs the worker role (it owns the data dir's
 * MariaDB, php-fpm masters, nginx and their sockets) holds an exclusive lock on
 * `<dataDir>/locks/worker.lock` for as long as it lives. A second `bbws up` on the same data dir
 * used to start anyway and remove the running one's edge sockets (every tenant 502, then FAILED).
 *
 * The lock is SQLite's own exclusive lock (fcntl record locks on a dedicated database file, through
 * better-sqlite3, which the platform already uses): the kernel drops it when the process dies,
 * even by `kill -9`, so it can never go stale. A PID file or a lock directory could (a reused PID,
 * a file left by a crash). Who holds it is written next to it (`worker.holder.json`) for the error
 * message; that file is only informative, the lock itself is the truth.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** The data dir is locked by another running process. */
export class DataDirInUseError extends Error {
  readonly holder: { pid?: number; startedAt?: string; roles?: string } | null;
  constructor(dataDir: string, holder: DataDirInUseError['holder']) {
    const who = holder?.pid ? `bbws pid ${holder.pid}${holder.startedAt ? ` (running since ${holder.startedAt}${holder.roles ? `, roles ${holder.roles}` : ''})` : ''}` : 'another bbws process';
    super(`the data dir ${dataDir} is in use by ${who}. Stop that one first (Ctrl-C or kill -TERM ${holder?.pid ?? '<pid>'}), or give this one another --data-dir.`);
    this.name = 'DataDirInUseError';
    this.holder = holder;
  }
}

export interface DataDirLock {
  release(): void;
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/**
 * Throws {@link DataDirInUseError} when another process holds the lock (takes and drops it): lets
 * `bbws up` say who holds the data dir before it trips over the ports that one listens on.
 */
export function assertDataDirFree(dataDir: string): void {
  // No lock file yet: nobody holds it, and nothing is created here (the data dir's modes are the platform's).
  if (!existsSync(join(dataDir, 'locks', 'worker.lock'))) return;
  lockDataDir(dataDir, [], false).release();
}

/** Takes the data dir's worker lock or throws {@link DataDirInUseError} at once (no waiting). */
export function lockDataDir(dataDir: string, roles: readonly string[], recordHolder = true): DataDirLock {
  const dir = join(dataDir, 'locks');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const holderFile = join(dir, 'worker.holder.json');
  const db = new Database(join(dir, 'worker.lock'));
  try {
    db.pragma('busy_timeout = 0');
    // Rollback journal (no WAL: its shared memory would let readers in) and an exclusive lock that
    // SQLite keeps until the connection closes.
    db.pragma('journal_mode = DELETE');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER)');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if (!isBusy(err)) throw err;
    let holder: DataDirInUseError['holder'] = null;
    try {
      holder = JSON.parse(readFileSync(holderFile, 'utf8'));
    } catch {
      /* written right after the lock is taken: the holder may be starting */
    }
    throw new DataDirInUseError(dataDir, holder);
  }
  if (recordHolder) writeFileSync(holderFile, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), roles: roles.join('+') }) + '\n', { mode: 0o600 });
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      db.close();
    },
  };
}
