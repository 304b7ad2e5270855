/**
 * The Store port's contract (DESIGN.md "State"): conditional writes with optimistic locking,
 * atomic commits of records, messages and outbox entries, pagination, host-name uniqueness, the
 * event ledger and idempotency records. Run it from `store.<adapter>.test.ts` with a factory that builds a fresh,
 * isolated store (and the queue its `enqueue` writes reach) per test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueueDefinition } from '../../src/domain/queues.js';
import type { Queue } from '../../src/ports/queue.js';
import type { Store } from '../../src/ports/store.js';
import { expectBbwsError, expectConflict } from '../support/expect-error.js';
import { createManualClock, type ManualClock } from '../support/manual-clock.js';
import { isoAt, makeInstance, makeOperation, makeSite, makeSpec, makeTenant } from '../support/store-records.js';
import { describeStoreCommitContract } from './store-commit.contract.js';
import { describeStoreOutboxContract } from './store-outbox.contract.js';
import { describeStoreSitesContract } from './store-sites.contract.js';

export interface StoreContractContext {
  store: Store;
  /** The queue that `enqueue` writes deliver to, for checking what a commit sent. */
  queue: Queue;
  /** Releases everything the factory made; runs even when the test failed. */
  cleanup: () => Promise<void>;
}

export type MakeStore = (options: { queueDefinitions: QueueDefinition[]; now: () => number }) => Promise<StoreContractContext>;

export const STORE_CONTRACT_QUEUES: QueueDefinition[] = [
  { name: 'provisioning', visibilityTimeoutSeconds: 30, maxReceiveCount: 3, deadLetterQueue: 'provisioning-dlq', retentionSeconds: 345_600 },
  { name: 'provisioning-dlq', visibilityTimeoutSeconds: 30, retentionSeconds: 1_209_600 },
];

/** What each part of the contract gets: accessors valid inside a test. */
export interface StoreContractHarness {
  store: () => Store;
  queue: () => Queue;
  clock: () => ManualClock;
}

/** Registers the Store contract suite for one adapter. */
export function describeStoreContract(name: string, makeStore: MakeStore): void {
  describe(`Store contract: ${name}`, () => {
    let ctx: StoreContractContext | undefined;
    let clock: ManualClock;
    const s = () => ctx!.store;
    const harness: StoreContractHarness = { store: s, queue: () => ctx!.queue, clock: () => clock };

    beforeEach(async () => {
      clock = createManualClock();
      ctx = await makeStore({ queueDefinitions: STORE_CONTRACT_QUEUES, now: clock.now });
    });
    afterEach(async () => {
      const current = ctx;
      ctx = undefined;
      await current?.cleanup();
    });

    describe('tenants and optimistic locking', () => {
      it('creates a tenant and reads it back unchanged', async () => {
        const tenant = makeTenant('acme');
        await s().commit([{ kind: 'putTenant', tenant, expectedVersion: null }]);
        expect(await s().getTenant('acme')).toEqual(tenant);
        expect(await s().getTenant('nobody')).toBeUndefined();
      });

      it('refuses to create a tenant that exists, keeping the stored one', async () => {
        await s().commit([{ kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null }]);
        await expectConflict(
          s().commit([{ kind: 'putTenant', tenant: makeTenant('acme', { domainName: 'evil.example.com' }), expectedVersion: null }]),
          'tenant',
          'acme',
        );
        expect((await s().getTenant('acme'))?.domainName).toBe('acme.wpdev.example.com');
      });

      it('updates only when the stored version is the expected one', async () => {
        await s().commit([{ kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null }]);
        const v2 = makeTenant('acme', { domainName: 'acme.example.org', version: 2, updatedAt: isoAt(5) });
        await s().commit([{ kind: 'putTenant', tenant: v2, expectedVersion: 1 }]);
        expect(await s().getTenant('acme')).toEqual(v2);
        // A writer that read version 1 and writes after the update loses, and changes nothing.
        const stale = makeTenant('acme', { domainName: 'stale.example.org', version: 2 });
        await expectConflict(s().commit([{ kind: 'putTenant', tenant: stale, expectedVersion: 1 }]), 'tenant', 'acme');
        expect(await s().getTenant('acme')).toEqual(v2);
      });

      it('treats an update of a missing record as a conflict', async () => {
        await expectConflict(s().commit([{ kind: 'putTenant', tenant: makeTenant('ghost', { version: 2 }), expectedVersion: 1 }]), 'tenant', 'ghost');
        await expectConflict(
          s().commit([{ kind: 'putInstance', instance: makeInstance('ghost', { version: 2 }), expectedVersion: 1 }]),
          'instance',
          'ghost',
        );
        await expectConflict(
          s().commit([{ kind: 'putOperation', operation: makeOperation('op-x', 'ghost', { version: 2 }), expectedVersion: 1 }]),
          'operation',
          'op-x',
        );
        expect(await s().getTenant('ghost')).toBeUndefined();
      });

      it('paginates tenants in id order with an opaque token', async () => {
        const ids = Array.from({ length: 25 }, (_, i) => `tenant${String((i * 7) % 25).padStart(2, '0')}`);
        await s().commit(ids.map((id) => ({ kind: 'putTenant' as const, tenant: makeTenant(id), expectedVersion: null })));
        const seen: string[] = [];
        let token: string | null = null;
        const pageSizes: number[] = [];
        do {
          const page = await s().listTenants({ limit: 10, nextToken: token });
          pageSizes.push(page.items.length);
          seen.push(...page.items.map((t) => t.tenantId));
          if (page.nextToken !== null) expect(page.items.map((t) => t.tenantId)).not.toContain(page.nextToken);
          token = page.nextToken;
        } while (token !== null);
        expect(pageSizes).toEqual([10, 10, 5]);
        expect(seen).toEqual([...ids].sort());
      });

      it('ends pagination exactly when the last page is full', async () => {
        await s().commit(['aaa', 'bbb'].map((id) => ({ kind: 'putTenant' as const, tenant: makeTenant(id), expectedVersion: null })));
        const first = await s().listTenants({ limit: 2 });
        expect(first.items.map((t) => t.tenantId)).toEqual(['aaa', 'bbb']);
        expect(first.nextToken).toBeNull();
        expect(await s().listTenants({ limit: 5 })).toEqual({ items: first.items, nextToken: null });
      });

      it('rejects a malformed token and a non-positive limit', async () => {
        await expectBbwsError(s().listTenants({ limit: 10, nextToken: '!!not-a-token!!' }), 'VALIDATION_FAILED', 'nextToken');
        await expectBbwsError(s().listTenants({ limit: 0 }), 'VALIDATION_FAILED', 'limit');
      });
    });

    describe('instances and host names', () => {
      it('stores an instance with its nested spec and finds it by state', async () => {
        const active = makeInstance('acme', {
          provisioningState: 'ACTIVE',
          previousSpec: makeSpec('acme', { revision: 1 }),
          spec: makeSpec('acme', { revision: 2, resources: { cpu: 512, memory: 1024, desiredCount: 2 } }),
          lastEventTime: isoAt(3),
          lastEventId: 'evt-1',
        });
        await s().commit([
          { kind: 'putInstance', instance: active, expectedVersion: null },
          { kind: 'putInstance', instance: makeInstance('beta', { provisioningState: 'FAILED' }), expectedVersion: null },
          { kind: 'putInstance', instance: makeInstance('gamma'), expectedVersion: null },
        ]);
        expect(await s().getInstance('acme')).toEqual(active);
        const found = await s().listInstancesByState(['ACTIVE', 'FAILED']);
        expect(found.map((i) => i.tenantId).sort()).toEqual(['acme', 'beta']);
        expect(await s().listInstancesByState([])).toEqual([]);
        expect(await s().listInstancesByState(['DEPROVISIONED'])).toEqual([]);
      });

      it('reads a tenant together with its instance, or without one', async () => {
        const tenant = makeTenant('acme');
        const instance = makeInstance('acme', { provisioningState: 'ACTIVE', previousSpec: makeSpec('acme', { revision: 1 }), lastError: 'x' });
        await s().commit([
          { kind: 'putTenant', tenant, expectedVersion: null },
          { kind: 'putInstance', instance, expectedVersion: null },
          { kind: 'putTenant', tenant: makeTenant('beta'), expectedVersion: null },
        ]);
        expect(await s().getTenantWithInstance('acme')).toEqual({ tenant, instance });
        expect(await s().getTenantWithInstance('beta')).toEqual({ tenant: makeTenant('beta'), instance: undefined });
        expect(await s().getTenantWithInstance('nobody')).toBeUndefined();
      });

      it('updates an instance under optimistic locking', async () => {
        await s().commit([{ kind: 'putInstance', instance: makeInstance('acme'), expectedVersion: null }]);
        await expectConflict(s().commit([{ kind: 'putInstance', instance: makeInstance('acme'), expectedVersion: null }]), 'instance', 'acme');
        const v2 = makeInstance('acme', { provisioningState: 'ACTIVE', runningCount: 1, version: 2 });
        await s().commit([{ kind: 'putInstance', instance: v2, expectedVersion: 1 }]);
        await expectConflict(
          s().commit([{ kind: 'putInstance', instance: makeInstance('acme', { provisioningState: 'FAILED', version: 2 }), expectedVersion: 1 }]),
          'instance',
          'acme',
        );
        expect(await s().getInstance('acme')).toEqual(v2);
      });

      it('maps every routed host name to its tenant, case-insensitively', async () => {
        const spec = makeSpec('acme', { hostnames: ['acme.wpdev.example.com', 'www.acme.test'] });
        await s().commit([{ kind: 'putInstance', instance: makeInstance('acme', { spec }), expectedVersion: null }]);
        expect(await s().findTenantByHostname('www.acme.test')).toBe('acme');
        expect(await s().findTenantByHostname('WWW.Acme.Test')).toBe('acme');
        expect(await s().findTenantByHostname('unknown.test')).toBeUndefined();
      });

      it('refuses a host name routed by another tenant and writes nothing of that commit', async () => {
        await s().commit([
          { kind: 'putInstance', instance: makeInstance('acme', { spec: makeSpec('acme', { hostnames: ['shop.test'] }) }), expectedVersion: null },
        ]);
        const thief = makeInstance('beta', { spec: makeSpec('beta', { hostnames: ['beta.test', 'Shop.Test'] }) });
        await expectConflict(
          s().commit([
            { kind: 'putTenant', tenant: makeTenant('beta'), expectedVersion: null },
            { kind: 'putInstance', instance: thief, expectedVersion: null },
          ]),
          'hostname',
          'shop.test',
        );
        expect(await s().findTenantByHostname('shop.test')).toBe('acme');
        expect(await s().findTenantByHostname('beta.test')).toBeUndefined();
        expect(await s().getTenant('beta')).toBeUndefined();
        expect(await s().getInstance('beta')).toBeUndefined();
      });

      it('frees a host name when the spec drops it or the tenant is deleted', async () => {
        const v1 = makeInstance('acme', { spec: makeSpec('acme', { hostnames: ['a.test', 'b.test'] }) });
        await s().commit([{ kind: 'putInstance', instance: v1, expectedVersion: null }]);
        const v2 = makeInstance('acme', { spec: makeSpec('acme', { hostnames: ['a.test'], revision: 2 }), version: 2 });
        await s().commit([{ kind: 'putInstance', instance: v2, expectedVersion: 1 }]);
        expect(await s().findTenantByHostname('b.test')).toBeUndefined();
        await s().commit([{ kind: 'putInstance', instance: makeInstance('beta', { spec: makeSpec('beta', { hostnames: ['b.test'] }) }), expectedVersion: null }]);
        expect(await s().findTenantByHostname('b.test')).toBe('beta');
        await s().commit([{ kind: 'deleteTenant', tenantId: 'acme' }]);
        expect(await s().findTenantByHostname('a.test')).toBeUndefined();
      });

      it('deletes a tenant with its instance but keeps its operations', async () => {
        await s().commit([
          { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
          { kind: 'putInstance', instance: makeInstance('acme'), expectedVersion: null },
          { kind: 'putOperation', operation: makeOperation('op-1', 'acme', { status: 'SUCCEEDED' }), expectedVersion: null },
          { kind: 'putTenant', tenant: makeTenant('beta'), expectedVersion: null },
        ]);
        await s().commit([{ kind: 'deleteTenant', tenantId: 'acme' }]);
        expect(await s().getTenant('acme')).toBeUndefined();
        expect(await s().getInstance('acme')).toBeUndefined();
        expect((await s().getOperation('op-1'))?.status).toBe('SUCCEEDED');
        expect((await s().listTenants({ limit: 10 })).items.map((t) => t.tenantId)).toEqual(['beta']);
        // The name is free again.
        await s().commit([{ kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null }]);
      });

      it('deletes a tenant only at the instance version asked for, its sites with it', async () => {
        await s().commit([
          { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
          { kind: 'putInstance', instance: makeInstance('acme'), expectedVersion: null },
          { kind: 'putSite', site: makeSite('acme', 'aaaaaaaaaa', { status: 'DELETED' }), expectedVersion: null },
        ]);
        await s().commit([{ kind: 'putInstance', instance: makeInstance('acme', { version: 2 }), expectedVersion: 1 }]);
        await expectConflict(s().commit([{ kind: 'deleteTenant', tenantId: 'acme', expectedInstanceVersion: 1 }]), 'instance', 'acme');
        expect(await s().getTenant('acme')).toBeDefined();
        expect(await s().getSite('acme', 'aaaaaaaaaa')).toBeDefined();
        await s().commit([{ kind: 'deleteTenant', tenantId: 'acme', expectedInstanceVersion: 2 }]);
        expect(await s().getTenant('acme')).toBeUndefined();
        expect(await s().getInstance('acme')).toBeUndefined();
        expect(await s().listSites('acme')).toEqual([]);
      });
    });

    describe('operations', () => {
      it('stores an operation with its journal and updates it under optimistic locking', async () => {
        const op = makeOperation('op-1', 'acme');
        await s().commit([{ kind: 'putOperation', operation: op, expectedVersion: null }]);
        expect(await s().getOperation('op-1')).toEqual(op);
        expect(await s().getOperation('op-missing')).toBeUndefined();
        const step = { name: 'create-database', status: 'SUCCEEDED' as const, startedAt: isoAt(1), durationMs: 40, error: null };
        const v2 = { ...op, status: 'IN_PROGRESS' as const, steps: [step], version: 2 };
        await s().commit([{ kind: 'putOperation', operation: v2, expectedVersion: 1 }]);
        await expectConflict(s().commit([{ kind: 'putOperation', operation: { ...op, version: 2 }, expectedVersion: 1 }]), 'operation', 'op-1');
        await expectConflict(s().commit([{ kind: 'putOperation', operation: op, expectedVersion: null }]), 'operation', 'op-1');
        expect(await s().getOperation('op-1')).toEqual(v2);
      });

      it('lists a tenant’s operations newest first, up to the limit', async () => {
        await s().commit([
          { kind: 'putOperation', operation: makeOperation('op-b', 'acme', { createdAt: isoAt(20) }), expectedVersion: null },
          { kind: 'putOperation', operation: makeOperation('op-a', 'acme', { createdAt: isoAt(10) }), expectedVersion: null },
          { kind: 'putOperation', operation: makeOperation('op-c', 'acme', { createdAt: isoAt(30) }), expectedVersion: null },
          { kind: 'putOperation', operation: makeOperation('op-z', 'beta', { createdAt: isoAt(40) }), expectedVersion: null },
        ]);
        expect((await s().listOperations('acme', 10)).map((o) => o.operationId)).toEqual(['op-c', 'op-b', 'op-a']);
        expect((await s().listOperations('acme', 2)).map((o) => o.operationId)).toEqual(['op-c', 'op-b']);
        expect(await s().listOperations('nobody', 10)).toEqual([]);
      });

      it('lists open operations oldest first, for all tenants or one', async () => {
        await s().commit([
          { kind: 'putOperation', operation: makeOperation('op-3', 'beta', { createdAt: isoAt(3), status: 'IN_PROGRESS' }), expectedVersion: null },
          { kind: 'putOperation', operation: makeOperation('op-1', 'acme', { createdAt: isoAt(1) }), expectedVersion: null },
          { kind: 'putOperation', operation: makeOperation('op-2', 'acme', { createdAt: isoAt(2), status: 'SUCCEEDED' }), expectedVersion: null },
          { kind: 'putOperation', operation: makeOperation('op-4', 'acme', { createdAt: isoAt(4), status: 'FAILED' }), expectedVersion: null },
          { kind: 'putOperation', operation: makeOperation('op-5', 'acme', { createdAt: isoAt(5), status: 'IN_PROGRESS' }), expectedVersion: null },
        ]);
        expect((await s().listOpenOperations()).map((o) => o.operationId)).toEqual(['op-1', 'op-3', 'op-5']);
        expect((await s().listOpenOperations('acme')).map((o) => o.operationId)).toEqual(['op-1', 'op-5']);
        expect(await s().listOpenOperations('nobody')).toEqual([]);
      });
    });

    describeStoreCommitContract(harness);
    describeStoreSitesContract(harness);
    describeStoreOutboxContract(harness);
  });
}
