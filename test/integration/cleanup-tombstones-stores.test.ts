/**
 * The tombstones aggressive cleanup finds and removes (app/cleanup/tombstones.ts), on both real
 * stores: SQLite and DynamoDB Local. Planted records, 4 days after they were written: which are
 * tombstones (a hard-deleted tenant, a DELETED site), which are not (a soft-deleted tenant, one an
 * open operation owns, one a backup still names, a young one), and a removal at a stale version
 * that leaves the record.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { createSqliteStore } from '../../src/adapters/store/sqlite.js';
import { findTombstones, removeTombstone, tombstoneName } from '../../src/app/cleanup/tombstones.js';
import type { BackupRecord } from '../../src/domain/backup.js';
import type { Store, Write } from '../../src/ports/store.js';
import { openAwsAdapters } from '../support/aws-harness.js';
import { isoAt, makeInstance, makeOperation, makeSite, makeTenant } from '../support/store-records.js';
import { STORE_CONTRACT_QUEUES } from '../contract/store.contract.js';

const NOW = Date.parse(isoAt(0)) + 4 * 86_400_000;
const YOUNG = new Date(NOW - 3_600_000).toISOString();

async function withSqlite(fn: (store: Store) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-tombstones-'));
  const db = openSqliteDatabase(join(dir, 'bbws.db'));
  const store = createSqliteStore({ db, queueDefinitions: STORE_CONTRACT_QUEUES });
  try {
    await fn(store);
  } finally {
    await store.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withDynamo(fn: (store: Store) => Promise<void>) {
  const ctx = await openAwsAdapters({ queueDefinitions: STORE_CONTRACT_QUEUES });
  try {
    await fn(ctx.store);
  } finally {
    await ctx.cleanup();
  }
}

/** A tenant whose instance is DEPROVISIONED by a SUCCEEDED delete of that mode. */
function deletedTenant(tenantId: string, mode: 'soft' | 'hard', updatedAt = isoAt(0)): Write[] {
  return [
    { kind: 'putTenant', tenant: makeTenant(tenantId), expectedVersion: null },
    { kind: 'putInstance', instance: makeInstance(tenantId, { provisioningState: 'DEPROVISIONED', updatedAt }), expectedVersion: null },
    { kind: 'putOperation', operation: makeOperation(`op-del-${tenantId}`, tenantId, { type: 'DELETE_TENANT', status: 'SUCCEEDED', input: { mode } }), expectedVersion: null },
  ];
}

const backupNaming = (tenantId: string, siteIds: string[]) => ({ backupId: `bk-${tenantId}`, tenantId, siteId: null, sites: siteIds.map((siteId) => ({ siteId, siteName: 'x', hostnames: [] })) }) as unknown as BackupRecord;

for (const [name, open] of [['sqlite', withSqlite], ['dynamodb (DynamoDB Local)', withDynamo]] as const) {
  describe(`aggressive cleanup's tombstones: ${name}`, () => {
    it('lists exactly the tombstones, removes them at the version found, and keeps what changed since', async () => {
      await open(async (store) => {
        await store.commit([
          ...deletedTenant('hardgone', 'hard'),
          { kind: 'putSite', site: makeSite('hardgone', 'aaaaaaaaaa', { status: 'DELETED' }), expectedVersion: null },
          ...deletedTenant('softgone', 'soft'),
          ...deletedTenant('hardbusy', 'hard'),
          { kind: 'putOperation', operation: makeOperation('op-open', 'hardbusy', { type: 'CREATE_TENANT', status: 'PENDING' }), expectedVersion: null },
          ...deletedTenant('hardkept', 'hard'),
          ...deletedTenant('hardyoung', 'hard', YOUNG),
          { kind: 'putTenant', tenant: makeTenant('live'), expectedVersion: null },
          { kind: 'putInstance', instance: makeInstance('live', { provisioningState: 'ACTIVE' }), expectedVersion: null },
          { kind: 'putSite', site: makeSite('live', 'bbbbbbbbbb', { status: 'DELETED', hostnames: ['gone.live.test'] }), expectedVersion: null },
          { kind: 'putSite', site: makeSite('live', 'cccccccccc', { status: 'DELETED', hostnames: ['kept.live.test'] }), expectedVersion: null },
          { kind: 'putSite', site: makeSite('live', 'dddddddddd', { status: 'DELETED', updatedAt: YOUNG }), expectedVersion: null },
          { kind: 'putSite', site: makeSite('live', 'eeeeeeeeee', { status: 'ACTIVE' }), expectedVersion: null },
        ]);
        const backups = [backupNaming('hardkept', []), backupNaming('live', ['cccccccccc'])];
        const deps = { store, now: () => NOW };
        const found = await findTombstones(deps, backups);
        expect(found.map((t) => [t.kind, tombstoneName(t)])).toEqual([
          ['tenant-record', 'hardgone'],
          ['site-record', 'live/bbbbbbbbbb'],
        ]);
        expect(found.every((t) => t.bytes > 100)).toBe(true);

        // The site record changed since it was listed: not removed, reported as not removed.
        const site = (await store.getSite('live', 'bbbbbbbbbb'))!;
        await store.commit([{ kind: 'putSite', site: { ...site, version: site.version + 1 }, expectedVersion: site.version }]);
        expect(await removeTombstone(store, found[1]!)).toBe(false);
        expect(await store.getSite('live', 'bbbbbbbbbb')).toBeDefined();

        expect(await removeTombstone(store, found[0]!)).toBe(true);
        expect(await store.getTenant('hardgone')).toBeUndefined();
        expect(await store.getInstance('hardgone')).toBeUndefined();
        expect(await store.listSites('hardgone')).toEqual([]);
        expect((await store.getOperation('op-del-hardgone'))?.status).toBe('SUCCEEDED'); // history outlives it
        const again = await findTombstones(deps, backups);
        expect(again.map(tombstoneName)).toEqual(['live/bbbbbbbbbb']);
        expect(await removeTombstone(store, again[0]!)).toBe(true);
        expect(await store.getSite('live', 'bbbbbbbbbb')).toBeUndefined();
        // Everything else is where it was.
        for (const t of ['softgone', 'hardbusy', 'hardkept', 'hardyoung', 'live']) expect(await store.getTenant(t), t).toBeDefined();
        expect((await store.listSites('live')).map((s) => s.siteId)).toEqual(['cccccccccc', 'dddddddddd', 'eeeeeeeeee']);
        expect(await findTombstones(deps, backups)).toEqual([]);
        // Without the backups, what they kept is a tombstone too.
        expect((await findTombstones(deps, [])).map(tombstoneName)).toEqual(['hardkept', 'live/cccccccccc']);
      });
    }, 60_000);
  });
}
