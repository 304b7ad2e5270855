/**
 * The Store contract for sites: conditional puts, listing, expiry lookups, and host names unique
 * across tenants, instances and sites. Part of `describeStoreContract`.
 */
import { describe, expect, it } from 'vitest';
import { expectConflict } from '../support/expect-error.js';
import { makeInstance, makeSite, makeSpec, makeTenant } from '../support/store-records.js';
import type { StoreContractHarness } from './store.contract.js';

export function describeStoreSitesContract({ store: s }: StoreContractHarness): void {
  describe('sites', () => {
    it('puts, reads and lists sites with optimistic locking', async () => {
      await s().commit([{ kind: 'putSite', site: makeSite('acme', 'aaaaaaaaaa'), expectedVersion: null }]);
      await s().commit([{ kind: 'putSite', site: makeSite('acme', 'bbbbbbbbbb', { createdAt: '2030-01-02T00:00:00.000Z' }), expectedVersion: null }]);
      await expectConflict(s().commit([{ kind: 'putSite', site: makeSite('acme', 'aaaaaaaaaa'), expectedVersion: null }]), 'site', 'acme/aaaaaaaaaa');
      await s().commit([{ kind: 'putSite', site: makeSite('acme', 'aaaaaaaaaa', { status: 'ACTIVE', version: 2 }), expectedVersion: 1 }]);
      await expectConflict(s().commit([{ kind: 'putSite', site: makeSite('acme', 'aaaaaaaaaa', { version: 2 }), expectedVersion: 1 }]), 'site', 'acme/aaaaaaaaaa');
      expect(await s().getSite('acme', 'aaaaaaaaaa')).toMatchObject({ status: 'ACTIVE', version: 2 });
      expect(await s().getSite('other', 'aaaaaaaaaa')).toBeUndefined();
      expect((await s().listSites('acme')).map((x) => x.siteId)).toEqual(['aaaaaaaaaa', 'bbbbbbbbbb']);
      expect(await s().listSites('other')).toEqual([]);
    });

    it('keeps host names unique across tenants, instances and sites, and frees them when a site is DELETED', async () => {
      await s().commit([
        { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
        { kind: 'putInstance', instance: makeInstance('acme', { spec: makeSpec('acme', { hostnames: ['acme.test'] }) }), expectedVersion: null },
      ]);
      await expectConflict(s().commit([{ kind: 'putSite', site: makeSite('beta', 'cccccccccc', { hostnames: ['acme.test'] }), expectedVersion: null }]), 'hostname', 'acme.test');
      await expectConflict(s().commit([{ kind: 'putSite', site: makeSite('acme', 'cccccccccc', { hostnames: ['acme.test'] }), expectedVersion: null }]), 'hostname', 'acme.test');
      await s().commit([{ kind: 'putSite', site: makeSite('acme', 'cccccccccc', { hostnames: ['shop.acme.test'] }), expectedVersion: null }]);
      expect(await s().findTenantByHostname('shop.acme.test')).toBe('acme');
      await expectConflict(s().commit([{ kind: 'putSite', site: makeSite('acme', 'dddddddddd', { hostnames: ['shop.acme.test'] }), expectedVersion: null }]), 'hostname', 'shop.acme.test');
      // The instance rewriting its own names does not take its sites' names away.
      await s().commit([{ kind: 'putInstance', instance: makeInstance('acme', { spec: makeSpec('acme', { hostnames: ['acme.test', 'www.acme.test'] }), version: 2 }), expectedVersion: 1 }]);
      expect(await s().findTenantByHostname('shop.acme.test')).toBe('acme');
      await s().commit([{ kind: 'putSite', site: makeSite('acme', 'cccccccccc', { hostnames: ['shop.acme.test'], status: 'DELETED', version: 2 }), expectedVersion: 1 }]);
      expect(await s().findTenantByHostname('shop.acme.test')).toBeUndefined();
    });

    it('deletes a site record at its version only, with its host names; the tenant and its other sites stay', async () => {
      await s().commit([
        { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
        { kind: 'putSite', site: makeSite('acme', 'iiiiiiiiii', { hostnames: ['old.acme.test'], status: 'DELETED' }), expectedVersion: null },
        { kind: 'putSite', site: makeSite('acme', 'jjjjjjjjjj', { hostnames: ['live.acme.test'] }), expectedVersion: null },
      ]);
      await s().commit([{ kind: 'putSite', site: makeSite('acme', 'iiiiiiiiii', { hostnames: ['old.acme.test'], status: 'DELETED', version: 2 }), expectedVersion: 1 }]);
      // A stale version (the record changed since it was read) and a site that is not there conflict; nothing is removed.
      await expectConflict(s().commit([{ kind: 'deleteSite', tenantId: 'acme', siteId: 'iiiiiiiiii', expectedVersion: 1 }]), 'site', 'acme/iiiiiiiiii');
      await expectConflict(s().commit([{ kind: 'deleteSite', tenantId: 'acme', siteId: 'kkkkkkkkkk', expectedVersion: 1 }]), 'site', 'acme/kkkkkkkkkk');
      expect(await s().getSite('acme', 'iiiiiiiiii')).toMatchObject({ version: 2 });
      await s().commit([{ kind: 'deleteSite', tenantId: 'acme', siteId: 'iiiiiiiiii', expectedVersion: 2 }]);
      expect(await s().getSite('acme', 'iiiiiiiiii')).toBeUndefined();
      expect((await s().listSites('acme')).map((x) => x.siteId)).toEqual(['jjjjjjjjjj']);
      expect(await s().getTenant('acme')).toBeDefined();
      // A live site's record can go too: its names are free again.
      expect(await s().findTenantByHostname('live.acme.test')).toBe('acme');
      await s().commit([{ kind: 'deleteSite', tenantId: 'acme', siteId: 'jjjjjjjjjj', expectedVersion: 1 }]);
      expect(await s().findTenantByHostname('live.acme.test')).toBeUndefined();
      await s().commit([{ kind: 'putSite', site: makeSite('beta', 'jjjjjjjjjj', { hostnames: ['live.acme.test'] }), expectedVersion: null }]);
      // The same id can be used again.
      await s().commit([{ kind: 'putSite', site: makeSite('acme', 'iiiiiiiiii'), expectedVersion: null }]);
    });

    it('finds expired previews', async () => {
      await s().commit([
        { kind: 'putSite', site: makeSite('acme', 'eeeeeeeeee', { expiresAt: '2030-01-01T01:00:00.000Z' }), expectedVersion: null },
        { kind: 'putSite', site: makeSite('acme', 'ffffffffff', { expiresAt: '2030-01-01T03:00:00.000Z' }), expectedVersion: null },
        { kind: 'putSite', site: makeSite('acme', 'gggggggggg', { expiresAt: '2030-01-01T00:30:00.000Z', status: 'DELETED' }), expectedVersion: null },
        { kind: 'putSite', site: makeSite('acme', 'hhhhhhhhhh'), expectedVersion: null },
      ]);
      expect((await s().listExpiredSites('2030-01-01T02:00:00.000Z')).map((x) => x.siteId)).toEqual(['eeeeeeeeee']);
    });
  });
}
