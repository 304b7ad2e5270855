/**
 * The embedded SQLite database shared by the store and queue adapters. One file holds tenants,
 * operations and queue messages so that a record and the message carrying its work commit in one
 * transaction (DESIGN.md "State"). Only adapters import this module; ports never mention it.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';

/** The database handle adapters pass around, so they need not import better-sqlite3's types. */
export type SqliteDatabase = Database.Database;

/**
 * SQLite `synchronous` levels that make sense with WAL. `FULL` fsyncs the WAL on every commit
 * (survives power loss); `NORMAL` only fsyncs at checkpoints (survives a killed process, may lose
 * the last commits on power loss) and is several times faster on slow disks.
 */
export type SqliteSynchronous = 'FULL' | 'NORMAL' | 'EXTRA';

export interface OpenSqliteDatabaseOptions {
  /** Default `FULL`: a commit that returned is on disk. */
  synchronous?: SqliteSynchronous;
  /**
   * How long a statement waits for another connection's write lock before failing with
   * SQLITE_BUSY. Several processes (API, worker) share the file, so the default is generous.
   */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed, with its parent directory) a SQLite database configured for the
 * control plane: WAL journal (readers never block the writer), a busy timeout, foreign keys on,
 * and durable commits by default.
 *
 * @param file path of the database file, or `:memory:` (tests only: nothing survives and WAL is
 *   not available).
 */
export function openSqliteDatabase(file: string, options: OpenSqliteDatabaseOptions = {}): SqliteDatabase {
  const synchronous = options.synchronous ?? 'FULL';
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  if (!['FULL', 'NORMAL', 'EXTRA'].includes(synchronous)) {
    throw new Error(`openSqliteDatabase: synchronous must be FULL, NORMAL or EXTRA, not ${String(synchronous)}`);
  }
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new Error(`openSqliteDatabase: busyTimeoutMs must be a non-negative integer, not ${busyTimeoutMs}`);
  }
  const inMemory = file === ':memory:' || file === '';
  const path = inMemory ? file : resolve(file);
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });

  const db = new Database(path);
  try {
    // busy_timeout first: switching to WAL itself needs a lock another process may hold.
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    if (!inMemory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') throw new Error(`could not enable WAL on ${path} (journal_mode=${String(mode)})`);
    }
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('foreign_keys = ON');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** One schema change. `id` sorts and identifies it within its namespace; never edit an applied one. */
export interface Migration {
  id: string;
  sql: string;
}

/**
 * Applies the migrations of `namespace` that this database has not seen yet, in the given order,
 * each in its own `BEGIN IMMEDIATE` transaction together with its row in `schema_migrations`. Safe
 * to call on every start and from several processes at once: the check runs under the write lock,
 * so a migration applies exactly once. Returns the ids applied by this call.
 *
 * Namespaces let the store and the queue own their tables independently in the same file.
 */
export function applyMigrations(db: SqliteDatabase, namespace: string, migrations: readonly Migration[]): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    namespace TEXT NOT NULL,
    id TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (namespace, id)
  )`);
  const seen = new Set<string>();
  for (const m of migrations) {
    if (seen.has(m.id)) throw new Error(`applyMigrations: duplicate migration id ${namespace}/${m.id}`);
    seen.add(m.id);
  }
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE namespace = ? AND id = ?').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (namespace, id, applied_at) VALUES (?, ?, ?)');
  const applied: string[] = [];
  for (const migration of migrations) {
    const applyOne = db.transaction(() => {
      if (isApplied.get(namespace, migration.id)) return false;
      db.exec(migration.sql);
      record.run(namespace, migration.id, new Date().toISOString());
      return true;
    });
    if (applyOne.immediate()) applied.push(migration.id);
  }
  return applied;
}

/**
 * True for SQLite failures that mean "the database cannot be used right now" (locked by another
 * process past the busy timeout, disk full, I/O error, file unreadable) rather than a bug in the
 * statement: callers report these as STORE_UNAVAILABLE (503) so clients retry.
 */
export function isSqliteUnavailableError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOLFS)/.test(code);
}
