/**
 * The Store contract's transactional half: a record and the message carrying its work commit
 * together or not at all; the event ledger refuses duplicates; idempotency records keep the first
 * writer; prune removes old bookkeeping. Part of `describeStoreContract`; not meant to run alone.
 */
import { describe, expect, it } from 'vitest';
import { expectBbwsError, expectConflict } from '../support/expect-error.js';
import { makeInstance, makeOperation, makeTenant } from '../support/store-records.js';
import type { StoreContractHarness } from './store.contract.js';

/** Registers the transactional tests; the harness accessors return the current test's adapters. */
export function describeStoreCommitContract({ store: s, queue: q, clock }: StoreContractHarness): void {
  const queueIsEmpty = async () => {
    expect(await q().stats('provisioning')).toMatchObject({ visible: 0, notVisible: 0, delayed: 0 });
  };

  describe('atomic commits', () => {
    it('commits a tenant, its operation and the message carrying the work together', async () => {
      const body = JSON.stringify({ operationId: 'op-1' });
      await s().commit([
        { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
        { kind: 'putInstance', instance: makeInstance('acme'), expectedVersion: null },
        { kind: 'putOperation', operation: makeOperation('op-1', 'acme'), expectedVersion: null },
        { kind: 'enqueue', message: { queue: 'provisioning', body } },
      ]);
      expect(await s().getTenant('acme')).toBeDefined();
      expect(await s().getOperation('op-1')).toBeDefined();
      const [msg] = await q().receive('provisioning');
      expect(msg).toMatchObject({ body, receiveCount: 1 });
    });

    it('rolls back records and messages when a later write conflicts', async () => {
      await s().commit([{ kind: 'putOperation', operation: makeOperation('op-1', 'acme'), expectedVersion: null }]);
      await expectConflict(
        s().commit([
          { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
          { kind: 'enqueue', message: { queue: 'provisioning', body: 'must not be sent' } },
          { kind: 'putOperation', operation: makeOperation('op-1', 'acme'), expectedVersion: null },
        ]),
        'operation',
        'op-1',
      );
      expect(await s().getTenant('acme')).toBeUndefined();
      await queueIsEmpty();
    });

    it('rolls back the records when a message is invalid', async () => {
      await expectBbwsError(
        s().commit([
          { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
          { kind: 'enqueue', message: { queue: 'no-such-queue', body: 'x' } },
        ]),
        'QUEUE_NOT_FOUND',
      );
      await expectBbwsError(
        s().commit([
          { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
          { kind: 'enqueue', message: { queue: 'provisioning', body: '' } },
        ]),
        'VALIDATION_FAILED',
        'body',
      );
      expect(await s().getTenant('acme')).toBeUndefined();
      await queueIsEmpty();
    });

    it('honours a delay on an enqueued message', async () => {
      await s().commit([{ kind: 'enqueue', message: { queue: 'provisioning', body: 'later', delaySeconds: 60 } }]);
      expect(await q().stats('provisioning')).toMatchObject({ visible: 0, delayed: 1 });
      clock().advanceSeconds(60);
      expect((await q().receive('provisioning')).map((m) => m.body)).toEqual(['later']);
    });

    it('accepts an empty commit as a no-op', async () => {
      await s().commit([]);
      expect((await s().listTenants({ limit: 10 })).items).toEqual([]);
    });
  });

  describe('event ledger', () => {
    it('records an event id once; a second recording conflicts and undoes its commit', async () => {
      expect(await s().hasEvent('evt-1')).toBe(false);
      await s().commit([
        { kind: 'putInstance', instance: makeInstance('acme'), expectedVersion: null },
        { kind: 'recordEvent', eventId: 'evt-1', tenantId: 'acme', outcome: 'applied' },
      ]);
      expect(await s().hasEvent('evt-1')).toBe(true);
      const replay = makeInstance('acme', { provisioningState: 'FAILED', version: 2 });
      await expectConflict(
        s().commit([
          { kind: 'putInstance', instance: replay, expectedVersion: 1 },
          { kind: 'recordEvent', eventId: 'evt-1', tenantId: 'acme', outcome: 'applied' },
        ]),
        'event',
        'evt-1',
      );
      expect((await s().getInstance('acme'))?.provisioningState).toBe('PROVISIONING');
      // Events without a tenant (ignored ones) are recorded too.
      await s().commit([{ kind: 'recordEvent', eventId: 'evt-2', tenantId: null, outcome: 'ignored: environment mismatch' }]);
      expect(await s().hasEvent('evt-2')).toBe(true);
    });
  });

  describe('idempotency records', () => {
    const record = (overrides: Partial<{ scope: string; body: string; createdAt: string }> = {}) => ({
      key: 'key-1',
      scope: 'user-1 POST /v1.0/tenants',
      requestHash: 'sha256:abc',
      statusCode: 202,
      body: '{"operationId":"op-1"}',
      createdAt: '2030-01-01T00:00:00.000Z',
      ...overrides,
    });

    it('keeps the first writer and reports later writers as losers', async () => {
      expect(await s().getIdempotency('key-1', record().scope)).toBeUndefined();
      expect(await s().putIdempotency(record())).toBe(true);
      expect(await s().putIdempotency(record({ body: '{"operationId":"op-2"}' }))).toBe(false);
      expect(await s().getIdempotency('key-1', record().scope)).toEqual(record());
    });

    it('scopes a key by its scope', async () => {
      expect(await s().putIdempotency(record())).toBe(true);
      expect(await s().putIdempotency(record({ scope: 'user-2 POST /v1.0/tenants', body: 'other' }))).toBe(true);
      expect((await s().getIdempotency('key-1', 'user-2 POST /v1.0/tenants'))?.body).toBe('other');
      expect((await s().getIdempotency('key-1', record().scope))?.body).toBe(record().body);
    });
  });

  describe('housekeeping', () => {
    it('prunes idempotency records and event ids older than the cutoff', async () => {
      const start = clock().now();
      await s().commit([{ kind: 'recordEvent', eventId: 'old', tenantId: null, outcome: 'applied' }]);
      await s().putIdempotency({
        key: 'old',
        scope: 's',
        requestHash: 'h',
        statusCode: 200,
        body: '{}',
        createdAt: new Date(start).toISOString(),
      });
      clock().advanceSeconds(3600);
      await s().commit([{ kind: 'recordEvent', eventId: 'new', tenantId: null, outcome: 'applied' }]);
      await s().putIdempotency({
        key: 'new',
        scope: 's',
        requestHash: 'h',
        statusCode: 200,
        body: '{}',
        createdAt: new Date(clock().now()).toISOString(),
      });
      expect(await s().prune(new Date(start + 1800_000).toISOString())).toBe(2);
      expect(await s().hasEvent('old')).toBe(false);
      expect(await s().hasEvent('new')).toBe(true);
      expect(await s().getIdempotency('old', 's')).toBeUndefined();
      expect(await s().getIdempotency('new', 's')).toBeDefined();
      expect(await s().prune(new Date(start + 1800_000).toISOString())).toBe(0);
    });

    it('answers ping', async () => {
      await expect(s().ping()).resolves.toBeUndefined();
    });
  });
}
