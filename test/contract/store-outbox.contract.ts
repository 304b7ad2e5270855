/**
 * The Store contract's outbox: a `notify` write commits with the state change that causes it or
 * not at all, entries come back in commit order until removed, and a notification id is written
 * once. On DynamoDB this is an item in the same TransactWriteItems, conditional on its absence.
 * Part of `describeStoreContract`; not meant to run alone.
 */
import { describe, expect, it } from 'vitest';
import type { Notification } from '../../src/domain/notification.js';
import { expectBbwsError, expectConflict } from '../support/expect-error.js';
import { makeOperation, makeTenant } from '../support/store-records.js';
import type { StoreContractHarness } from './store.contract.js';

const notification = (notificationId: string, overrides: Partial<Notification> = {}): Notification => ({
  notificationId,
  type: 'site.created',
  tenantId: 'acme',
  siteId: 'aaaaaaaaaa',
  data: { operationId: 'op-1', nested: { list: [1, 'two', null] } },
  occurredAt: '2030-01-01T00:00:00.000Z',
  ...overrides,
});

export function describeStoreOutboxContract({ store: s }: StoreContractHarness): void {
  describe('outbox', () => {
    it('keeps a notification committed with a record, unchanged, until it is removed', async () => {
      await s().commit([
        { kind: 'putOperation', operation: makeOperation('op-1', 'acme'), expectedVersion: null },
        { kind: 'notify', notification: notification('n-1') },
      ]);
      expect(await s().listOutbox(10)).toEqual([notification('n-1')]);
      expect(await s().listOutbox(10)).toEqual([notification('n-1')]);
      await s().deleteOutbox(['n-1']);
      expect(await s().listOutbox(10)).toEqual([]);
    });

    it('lists entries in commit order, up to the limit', async () => {
      // Ids in the opposite order of the commits: the order is the commits', not the ids'.
      for (const id of ['n-3', 'n-2', 'n-1']) await s().commit([{ kind: 'notify', notification: notification(id) }]);
      await s().commit([
        { kind: 'notify', notification: notification('n-0b') },
        { kind: 'notify', notification: notification('n-0a') },
      ]);
      expect((await s().listOutbox(10)).map((n) => n.notificationId)).toEqual(['n-3', 'n-2', 'n-1', 'n-0b', 'n-0a']);
      expect((await s().listOutbox(2)).map((n) => n.notificationId)).toEqual(['n-3', 'n-2']);
    });

    it('writes no entry when the commit fails, and no record when the entry conflicts', async () => {
      await s().commit([{ kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null }]);
      await expectConflict(
        s().commit([
          { kind: 'notify', notification: notification('n-1') },
          { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
        ]),
        'tenant',
        'acme',
      );
      expect(await s().listOutbox(10)).toEqual([]);

      await s().commit([{ kind: 'notify', notification: notification('n-2') }]);
      await expectConflict(
        s().commit([
          { kind: 'putOperation', operation: makeOperation('op-9', 'acme'), expectedVersion: null },
          { kind: 'notify', notification: notification('n-2', { type: 'site.failed' }) },
        ]),
        'notification',
        'n-2',
      );
      expect(await s().getOperation('op-9')).toBeUndefined();
      expect(await s().listOutbox(10)).toEqual([notification('n-2')]);
    });

    it('removes only the ids given, and ignores ids it does not hold', async () => {
      for (const id of ['n-1', 'n-2', 'n-3']) await s().commit([{ kind: 'notify', notification: notification(id) }]);
      await s().deleteOutbox(['n-2', 'never-there']);
      await s().deleteOutbox([]);
      expect((await s().listOutbox(10)).map((n) => n.notificationId)).toEqual(['n-1', 'n-3']);
    });

    it('refuses a limit outside 1-1000', async () => {
      await expectBbwsError(s().listOutbox(0), 'VALIDATION_FAILED', 'limit');
      await expectBbwsError(s().listOutbox(1001), 'VALIDATION_FAILED', 'limit');
    });
  });
}
