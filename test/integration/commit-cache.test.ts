/**
 * The commit-validated read cache (src/adapters/sqlite/commit-cache.ts) and the store read that
 * uses it: a cached value is served only while nothing has committed to the file, whether the
 * commit came from this connection, another connection, or another process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCommitCache } from '../../src/adapters/sqlite/commit-cache.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { createSqliteStore } from '../../src/adapters/store/sqlite.js';
import { execInOtherProcess } from '../support/sqlite-exec.js';
import { makeInstance, makeTenant } from '../support/store-records.js';
import { STORE_CONTRACT_QUEUES } from '../contract/store.contract.js';

describe('commit-validated read cache', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanups.splice(0).reverse()) fn();
  });

  function openTemp(): { db: SqliteDatabase; file: string } {
    const dir = mkdtempSync(join(tmpdir(), 'bbws-cache-'));
    const file = join(dir, 'bbws.db');
    const db = openSqliteDatabase(file);
    cleanups.push(() => {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    db.exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT); INSERT INTO kv VALUES ('a', 'one')");
    return { db, file };
  }

  /** A cache over `kv` that counts how often it really read the table. */
  function counted(db: SqliteDatabase) {
    const cache = createCommitCache<{ v: string } | undefined>(db);
    cleanups.push(() => cache.close());
    const read = db.prepare<[string], { v: string }>('SELECT v FROM kv WHERE k = ?');
    let loads = 0;
    const get = (k: string) =>
      cache.get(k, () => {
        loads++;
        return read.get(k);
      });
    return { get, loads: () => loads, cache };
  }

  it('serves a value from memory until something commits, then reads again', () => {
    const { db } = openTemp();
    const c = counted(db);
    expect(c.get('a')).toEqual({ v: 'one' });
    expect(c.get('a')).toEqual({ v: 'one' });
    expect(c.get('missing')).toBeUndefined();
    expect(c.get('missing')).toBeUndefined();
    expect(c.loads()).toBe(2);
    db.prepare("UPDATE kv SET v = 'two' WHERE k = 'a'").run();
    expect(c.get('a')).toEqual({ v: 'two' });
    expect(c.loads()).toBe(3);
    // A commit to any table (the queue shares the file) invalidates everything.
    db.exec('CREATE TABLE other (x); INSERT INTO other VALUES (1)');
    expect(c.get('a')).toEqual({ v: 'two' });
    expect(c.loads()).toBe(4);
  });

  it('sees a commit made through another connection to the same file', () => {
    const { db, file } = openTemp();
    const c = counted(db);
    expect(c.get('a')).toEqual({ v: 'one' });
    const other = openSqliteDatabase(file);
    cleanups.push(() => other.close());
    other.prepare("UPDATE kv SET v = 'other' WHERE k = 'a'").run();
    expect(c.get('a')).toEqual({ v: 'other' });
  });

  it('sees a commit made by another process, including after a checkpoint restarts the WAL', () => {
    const { db, file } = openTemp();
    const c = counted(db);
    expect(c.get('a')).toEqual({ v: 'one' });
    execInOtherProcess(file, "UPDATE kv SET v = 'child' WHERE k = 'a'");
    expect(c.get('a')).toEqual({ v: 'child' });
    // Empty the WAL so the next writer starts it over from frame 1 (same file size as before).
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(c.get('a')).toEqual({ v: 'child' });
    execInOtherProcess(file, "UPDATE kv SET v = 'restarted' WHERE k = 'a'");
    expect(c.get('a')).toEqual({ v: 'restarted' });
    for (let i = 0; i < 3; i++) {
      execInOtherProcess(file, `UPDATE kv SET v = 'n${i}' WHERE k = 'a'`);
      expect(c.get('a')).toEqual({ v: `n${i}` });
    }
  });

  it('never caches what a transaction has not committed yet', () => {
    const { db } = openTemp();
    const c = counted(db);
    expect(c.get('a')).toEqual({ v: 'one' });
    const attempt = db.transaction(() => {
      db.prepare("UPDATE kv SET v = 'uncommitted' WHERE k = 'a'").run();
      expect(c.get('a')).toEqual({ v: 'uncommitted' });
      throw new Error('roll back');
    });
    expect(() => attempt()).toThrow('roll back');
    expect(c.get('a')).toEqual({ v: 'one' });
  });

  it('hands out frozen values, so one caller cannot change what the next one reads', () => {
    const { db } = openTemp();
    const cache = createCommitCache<{ nested: { v: number } }>(db);
    cleanups.push(() => cache.close());
    const value = cache.get('k', () => ({ nested: { v: 1 } }));
    expect(() => {
      (value.nested as { v: number }).v = 2;
    }).toThrow(TypeError);
    expect(cache.get('k', () => ({ nested: { v: 3 } })).nested.v).toBe(1);
  });

  it('always reads on a database without a WAL, and after close', () => {
    const memory = openSqliteDatabase(':memory:');
    cleanups.push(() => memory.close());
    let loads = 0;
    const cache = createCommitCache<number>(memory);
    cache.get('k', () => ++loads);
    cache.get('k', () => ++loads);
    expect(loads).toBe(2);

    const { db } = openTemp();
    const c = counted(db);
    c.get('a');
    c.cache.close();
    c.get('a');
    c.get('a');
    expect(c.loads()).toBe(3);
  });

  it("keeps the store's tenant read exact when another process changes the instance", async () => {
    const { db, file } = openTemp();
    const store = createSqliteStore({ db, queueDefinitions: STORE_CONTRACT_QUEUES, readCache: true });
    cleanups.push(() => void store.close());
    await store.commit([
      { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
      { kind: 'putInstance', instance: makeInstance('acme'), expectedVersion: null },
    ]);
    const before = await store.getTenantWithInstance('acme');
    expect(before?.instance?.provisioningState).toBe('PROVISIONING');
    expect(await store.getTenantWithInstance('acme')).toBe(before); // served from memory
    execInOtherProcess(file, "UPDATE instances SET provisioning_state = 'ACTIVE', version = version + 1 WHERE tenant_id = 'acme'");
    const after = await store.getTenantWithInstance('acme');
    expect(after?.instance?.provisioningState).toBe('ACTIVE');
    expect(after?.instance?.version).toBe((before?.instance?.version ?? 0) + 1);
    execInOtherProcess(file, "DELETE FROM instances WHERE tenant_id = 'acme'; DELETE FROM tenants WHERE tenant_id = 'acme'");
    expect(await store.getTenantWithInstance('acme')).toBeUndefined();
  });

  it('is off unless asked for: the store then reads every time and shares nothing', async () => {
    const { db } = openTemp();
    const store = createSqliteStore({ db, queueDefinitions: STORE_CONTRACT_QUEUES });
    cleanups.push(() => void store.close());
    await store.commit([{ kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null }]);
    const first = await store.getTenantWithInstance('acme');
    const second = await store.getTenantWithInstance('acme');
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    expect(Object.isFrozen(first)).toBe(false);
  });

  it('refuses a connection in locking_mode=EXCLUSIVE, whose WAL-index header is not shared', () => {
    const { db } = openTemp();
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec("UPDATE kv SET v = 'two'"); // takes the exclusive lock: the WAL index moves to the heap
    expect(() => createCommitCache(db)).toThrow(/locking_mode=NORMAL/);
    expect(() => createSqliteStore({ db, queueDefinitions: STORE_CONTRACT_QUEUES, readCache: true })).toThrow(/locking_mode=NORMAL/);
  });
});
