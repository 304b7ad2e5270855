/**
 * Runs the Store contract against the SQLite adapter (with the SQLite queue on the same file),
 * plus what is specific to it: the database setup, migrations, durability across a reopen, lock
 * contention reported as STORE_UNAVAILABLE, and waking a long poll from a commit.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteQueue } from '../../src/adapters/queue/sqlite.js';
import { applyMigrations, openSqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { createSqliteStore } from '../../src/adapters/store/sqlite.js';
import { expectBbwsError } from '../support/expect-error.js';
import { makeOperation, makeTenant } from '../support/store-records.js';
import { describeStoreContract, STORE_CONTRACT_QUEUES } from './store.contract.js';

describeStoreContract('sqlite', async ({ queueDefinitions, now }) => {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-store-'));
  const db = openSqliteDatabase(join(dir, 'bbws.db'));
  const store = createSqliteStore({ db, queueDefinitions, now });
  const queue = createSqliteQueue({ db, definitions: queueDefinitions, now });
  return {
    store,
    queue,
    cleanup: async () => {
      try {
        await queue.close();
        await store.close();
        db.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
});

describe('SQLite store specifics', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    const errors: unknown[] = [];
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        fn();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'bbws-store-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  function open(file: string, options: Parameters<typeof openSqliteDatabase>[1] = {}) {
    const db = openSqliteDatabase(file, options);
    cleanups.push(() => {
      if (db.open) db.close();
    });
    return db;
  }

  it('opens in WAL mode with durable commits, foreign keys and a busy timeout, creating the directory', () => {
    const file = join(tempDir(), 'nested', 'deeper', 'bbws.db');
    const db = open(file);
    expect(existsSync(file)).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const relaxed = open(join(tempDir(), 'relaxed.db'), { synchronous: 'NORMAL', busyTimeoutMs: 50 });
    expect(relaxed.pragma('synchronous', { simple: true })).toBe(1);
    expect(relaxed.pragma('busy_timeout', { simple: true })).toBe(50);
    expect(() => openSqliteDatabase(join(tempDir(), 'x.db'), { synchronous: 'OFF' as never })).toThrow(/synchronous/);
  });

  it('applies each migration once per namespace, and records it', () => {
    const db = open(join(tempDir(), 'bbws.db'));
    const migrations = [
      { id: '001', sql: 'CREATE TABLE a (x INTEGER)' },
      { id: '002', sql: 'ALTER TABLE a ADD COLUMN y TEXT' },
    ];
    expect(applyMigrations(db, 'test', migrations.slice(0, 1))).toEqual(['001']);
    expect(applyMigrations(db, 'test', migrations)).toEqual(['002']);
    expect(applyMigrations(db, 'test', migrations)).toEqual([]);
    expect(db.prepare("SELECT id FROM schema_migrations WHERE namespace = 'test' ORDER BY id").pluck().all()).toEqual(['001', '002']);
    // A failing migration leaves neither its changes nor its record behind.
    expect(() => applyMigrations(db, 'test', [...migrations, { id: '003', sql: 'CREATE TABLE b (x); CREATE TABLE a (x)' }])).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").all()).toEqual([]);
    expect(db.prepare("SELECT count(*) FROM schema_migrations WHERE id = '003'").pluck().get()).toBe(0);
  });

  it('keeps committed records and messages after the file is closed and reopened', async () => {
    const file = join(tempDir(), 'bbws.db');
    const first = open(file);
    const store = createSqliteStore({ db: first, queueDefinitions: STORE_CONTRACT_QUEUES });
    await store.commit([
      { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
      { kind: 'putOperation', operation: makeOperation('op-1', 'acme'), expectedVersion: null },
      { kind: 'enqueue', message: { queue: 'provisioning', body: 'op-1' } },
    ]);
    await store.close();
    first.close();

    const second = open(file);
    const reopened = createSqliteStore({ db: second, queueDefinitions: STORE_CONTRACT_QUEUES });
    const queue = createSqliteQueue({ db: second, definitions: STORE_CONTRACT_QUEUES });
    cleanups.push(() => void queue.close());
    expect(await reopened.getTenant('acme')).toEqual(makeTenant('acme'));
    expect(await reopened.getOperation('op-1')).toEqual(makeOperation('op-1', 'acme'));
    expect((await queue.receive('provisioning')).map((m) => m.body)).toEqual(['op-1']);
  });

  it('reports a write lock held past the busy timeout as STORE_UNAVAILABLE, and recovers', async () => {
    const file = join(tempDir(), 'bbws.db');
    const db = open(file, { busyTimeoutMs: 50 });
    const store = createSqliteStore({ db, queueDefinitions: STORE_CONTRACT_QUEUES });
    const other = open(file);
    other.exec('BEGIN IMMEDIATE');
    const err = await expectBbwsError(store.commit([{ kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null }]), 'STORE_UNAVAILABLE');
    expect(err.details.sqliteCode).toMatch(/^SQLITE_BUSY/);
    // Readers are not blocked by a writer in WAL mode.
    expect(await store.getTenant('acme')).toBeUndefined();
    other.exec('ROLLBACK');
    await store.commit([{ kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null }]);
    expect(await store.getTenant('acme')).toBeDefined();
  });

  it('wakes a long poll on the queue as soon as a commit enqueues', async () => {
    const db = open(join(tempDir(), 'bbws.db'));
    const store = createSqliteStore({ db, queueDefinitions: STORE_CONTRACT_QUEUES });
    const queue = createSqliteQueue({ db, definitions: STORE_CONTRACT_QUEUES, pollIntervalMs: 5_000 });
    cleanups.push(() => void queue.close());
    const started = performance.now();
    const polling = queue.receive('provisioning', { waitTimeSeconds: 10 });
    setTimeout(() => void store.commit([{ kind: 'enqueue', message: { queue: 'provisioning', body: 'go' } }]), 30);
    expect((await polling).map((m) => m.body)).toEqual(['go']);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('rejects calls after close', async () => {
    const db = open(join(tempDir(), 'bbws.db'));
    const store = createSqliteStore({ db, queueDefinitions: STORE_CONTRACT_QUEUES });
    await store.close();
    await expect(store.ping()).rejects.toThrow(/closed/);
  });
});
