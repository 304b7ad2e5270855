/**
 * Runs the Store contract against the DynamoDB adapter on DynamoDB Local (a fresh table per test),
 * its outbox relayed to the SQS adapter on fauxqs, plus what is specific to it: tamper-checked
 * paging tokens, the outbox after a crash, one read for a tenant with its instance, and
 * TransactWriteItems under concurrency.
 */
import { describe, expect, it } from 'vitest';
import { createDynamoStore } from '../../src/adapters/aws/dynamodb-store.js';
import { openAwsAdapters } from '../support/aws-harness.js';
import { expectBbwsError, expectConflict } from '../support/expect-error.js';
import { makeInstance, makeOperation, makeTenant } from '../support/store-records.js';
import { describeStoreContract, STORE_CONTRACT_QUEUES } from './store.contract.js';

describeStoreContract('dynamodb (DynamoDB Local + fauxqs)', (options) => openAwsAdapters(options));

describe('DynamoDB store specifics', () => {
  it('refuses a paging token that was altered, even one that decodes to a valid key', async () => {
    const ctx = await openAwsAdapters({ queueDefinitions: STORE_CONTRACT_QUEUES });
    try {
      const s = ctx.store;
      await s.commit(['aaa', 'bbb', 'ccc'].map((id) => ({ kind: 'putTenant' as const, tenant: makeTenant(id), expectedVersion: null })));
      const first = await s.listTenants({ limit: 1 });
      const [payload, tag] = first.nextToken!.split('.');
      const key = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, string>;
      const forged = Buffer.from(JSON.stringify({ ...key, gsi2sk: 'bbb', sk: 'METADATA', pk: 'TENANT#bbb' })).toString('base64url');
      await expectBbwsError(s.listTenants({ limit: 1, nextToken: `${forged}.${tag}` }), 'VALIDATION_FAILED', 'nextToken');
      await expectBbwsError(s.listTenants({ limit: 1, nextToken: payload }), 'VALIDATION_FAILED', 'nextToken');
      expect((await s.listTenants({ limit: 5, nextToken: first.nextToken })).items.map((t) => t.tenantId)).toEqual(['bbb', 'ccc']);
    } finally {
      await ctx.cleanup();
    }
  });

  it('reads a tenant with its instance in one request, and commits a create in one transaction', async () => {
    const ctx = await openAwsAdapters({ queueDefinitions: STORE_CONTRACT_QUEUES });
    try {
      const s = ctx.store;
      const before = { ...s.calls };
      await s.commit([
        { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
        { kind: 'putInstance', instance: makeInstance('acme'), expectedVersion: null },
        { kind: 'putOperation', operation: makeOperation('op-1', 'acme'), expectedVersion: null },
        { kind: 'enqueue', message: { queue: 'provisioning', body: 'op-1' } },
      ]);
      const delta = (name: string) => (s.calls[name] ?? 0) - (before[name] ?? 0);
      expect(delta('TransactWriteCommand')).toBe(1);
      // The relay's delete of the outbox item is the only other write.
      expect(delta('BatchWriteCommand')).toBe(1);
      expect(delta('GetCommand') + delta('QueryCommand')).toBe(0);
      const mid = { ...s.calls };
      expect((await s.getTenantWithInstance('acme'))?.instance?.tenantId).toBe('acme');
      const reads = Object.keys(s.calls).reduce((n, k) => n + s.calls[k] - (mid[k] ?? 0), 0);
      expect(reads).toBe(1);
    } finally {
      await ctx.cleanup();
    }
  });

  it('relays an outbox message that a crashed commit left unsent, once', async () => {
    const ctx = await openAwsAdapters({ queueDefinitions: STORE_CONTRACT_QUEUES });
    try {
      // A store without a queue is a process that died between its transaction and the relay.
      const crashed = createDynamoStore({ client: ctx.dynamoClient, tableName: ctx.tableName, queueDefinitions: STORE_CONTRACT_QUEUES });
      await crashed.commit([
        { kind: 'putOperation', operation: makeOperation('op-1', 'acme'), expectedVersion: null },
        { kind: 'enqueue', message: { queue: 'provisioning', body: 'op-1' } },
      ]);
      expect((await ctx.queue.stats('provisioning')).visible).toBe(0);
      expect(await ctx.store.relayOutbox()).toBe(1);
      expect(await ctx.store.relayOutbox()).toBe(0);
      expect((await ctx.queue.receive('provisioning', { maxMessages: 10 })).map((m) => m.body)).toEqual(['op-1']);
    } finally {
      await ctx.cleanup();
    }
  });

  it('lets exactly one of 50 concurrent creates of one tenant commit; the others conflict on the tenant', async () => {
    const ctx = await openAwsAdapters({ queueDefinitions: STORE_CONTRACT_QUEUES });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          ctx.store.commit([
            { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
            { kind: 'putInstance', instance: makeInstance('acme'), expectedVersion: null },
            { kind: 'putOperation', operation: makeOperation(`op-${i}`, 'acme'), expectedVersion: null },
            { kind: 'enqueue', message: { queue: 'provisioning', body: `op-${i}` } },
          ]),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ name: 'StoreConflictError', which: expect.stringMatching(/^(tenant|instance|hostname)$/) });
      }
      expect((await ctx.queue.stats('provisioning')).visible).toBe(1);
      expect(await ctx.store.listOpenOperations('acme')).toHaveLength(1);
    } finally {
      await ctx.cleanup();
    }
  }, 60_000);

  it('keeps notify writes in commit order until deleted; an id already there fails its commit', async () => {
    const ctx = await openAwsAdapters({ queueDefinitions: STORE_CONTRACT_QUEUES });
    try {
      const s = ctx.store;
      const n = (id: string) => ({ notificationId: id, type: 'site.created' as const, tenantId: 'acme', siteId: 'aaaaaaaaaa', data: {}, occurredAt: '2030-01-01T00:00:00.000Z' });
      await s.commit([{ kind: 'notify', notification: n('z-1') }, { kind: 'notify', notification: n('a-2') }]);
      await s.commit([{ kind: 'notify', notification: n('m-3') }]);
      await expectConflict(s.commit([{ kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null }, { kind: 'notify', notification: n('a-2') }]), 'notification', 'a-2');
      expect(await s.getTenant('acme')).toBeUndefined();
      expect((await s.listOutbox(10)).map((x) => x.notificationId)).toEqual(['z-1', 'a-2', 'm-3']);
      expect(await s.listOutbox(1)).toEqual([n('z-1')]);
      await s.deleteOutbox(['z-1', 'a-2', 'never-there']);
      expect((await s.listOutbox(10)).map((x) => x.notificationId)).toEqual(['m-3']);
      await expectBbwsError(s.listOutbox(0), 'VALIDATION_FAILED', 'limit');
    } finally {
      await ctx.cleanup();
    }
  });
});
