/**
 * The single DynamoDB table of the Store (DESIGN.md "State", docs/aws.md "Table"): its keys, its
 * two overloaded global secondary indexes, TTL, and how each record becomes an item and back.
 *
 * | item | pk | sk | GSI1 (gsi1pk / gsi1sk) | GSI2 (gsi2pk / gsi2sk) |
 * |---|---|---|---|---|
 * | tenant | `TENANT#<id>` | `METADATA` | | `TENANTS` / `<id>` (listing in id order) |
 * | instance | `TENANT#<id>` | `INSTANCE` | `STATE#<provisioningState>` / `TENANT#<id>` | |
 * | site | `TENANT#<tid>` | `SITE#<sid>` | `EXPIRING_SITES` / `<expiresAt>#<tid>#<sid>` while a preview is live | |
 * | operation | `OPERATION#<id>` | `OPERATION` | `OPEN_OPERATIONS` / `<createdAt>#<id>` while PENDING or IN_PROGRESS | `TENANT#<tid>#OPERATIONS` / `<createdAt>#<id>` |
 * | host name | `HOSTNAME#<name>` | `HOSTNAME` | | |
 * | ECS event id | `EVENT#<id>` | `EVENT` | `LEDGER` / `<recordedAt>#<pk>` (prune) | |
 * | idempotency record | `IDEMPOTENCY#<key>` | `SCOPE#<scope>` | `LEDGER` / `<createdAt>#<pk>` | |
 * | outbox message | `OUTBOX#<uuid>` | `OUTBOX` | `OUTBOX` / `<createdAt>#<uuid>` (relay sweep) | |
 * | outbox notification | `NOTIFY#<notificationId>` | `NOTIFY` | `NOTIFICATIONS` / `<committedAt>#<n in commit>#<id>` (commit order) | |
 *
 * Records are stored attribute by attribute (an operator's console query on `provisioningState`
 * works as in seed 000 §4.5); the key attributes above are stripped again when reading.
 */
import { CreateTableCommand, DescribeTableCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Notification } from '../../domain/notification.js';
import type { Operation } from '../../domain/operation.js';
import type { Site } from '../../domain/site.js';
import type { Instance, Tenant } from '../../domain/tenant.js';
import type { IdempotencyRecord } from '../../ports/store.js';

export type Item = Record<string, unknown>;
export interface Key {
  pk: string;
  sk: string;
}

export const META_ATTRIBUTES = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'ttl'] as const;

/** Host names are case-insensitive: keys hold them lowercased so `Example.com` collides too. */
export const normalizeHostname = (hostname: string) => hostname.trim().toLowerCase();

export const keys = {
  tenant: (id: string): Key => ({ pk: `TENANT#${id}`, sk: 'METADATA' }),
  instance: (id: string): Key => ({ pk: `TENANT#${id}`, sk: 'INSTANCE' }),
  site: (tenantId: string, siteId: string): Key => ({ pk: `TENANT#${tenantId}`, sk: `SITE#${siteId}` }),
  operation: (id: string): Key => ({ pk: `OPERATION#${id}`, sk: 'OPERATION' }),
  hostname: (name: string): Key => ({ pk: `HOSTNAME#${normalizeHostname(name)}`, sk: 'HOSTNAME' }),
  event: (id: string): Key => ({ pk: `EVENT#${id}`, sk: 'EVENT' }),
  idempotency: (key: string, scope: string): Key => ({ pk: `IDEMPOTENCY#${key}`, sk: `SCOPE#${scope}` }),
  outbox: (id: string): Key => ({ pk: `OUTBOX#${id}`, sk: 'OUTBOX' }),
  notification: (id: string): Key => ({ pk: `NOTIFY#${id}`, sk: 'NOTIFY' }),
};

export const GSI = {
  byState: (state: string) => `STATE#${state}`,
  openOperations: 'OPEN_OPERATIONS',
  expiringSites: 'EXPIRING_SITES',
  ledger: 'LEDGER',
  outbox: 'OUTBOX',
  notifications: 'NOTIFICATIONS',
  tenants: 'TENANTS',
  operationsOf: (tenantId: string) => `TENANT#${tenantId}#OPERATIONS`,
};

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export function stripMeta<T>(item: Item): T {
  const copy: Item = { ...item };
  for (const attribute of META_ATTRIBUTES) delete copy[attribute];
  return copy as T;
}

export const tenantItem = (t: Tenant): Item => ({ ...t, ...keys.tenant(t.tenantId), entity: 'TENANT', gsi2pk: GSI.tenants, gsi2sk: t.tenantId });

export const instanceItem = (i: Instance): Item => ({
  ...i,
  ...keys.instance(i.tenantId),
  entity: 'INSTANCE',
  gsi1pk: GSI.byState(i.provisioningState),
  gsi1sk: `TENANT#${i.tenantId}`,
});

export function siteItem(s: Site): Item {
  const live = s.expiresAt !== null && s.status !== 'DELETING' && s.status !== 'DELETED';
  return {
    ...s,
    ...keys.site(s.tenantId, s.siteId),
    entity: 'SITE',
    ...(live ? { gsi1pk: GSI.expiringSites, gsi1sk: `${s.expiresAt}#${s.tenantId}#${s.siteId}` } : {}),
  };
}

export function operationItem(o: Operation): Item {
  const open = o.status === 'PENDING' || o.status === 'IN_PROGRESS';
  return {
    ...o,
    ...keys.operation(o.operationId),
    entity: 'OPERATION',
    ...(open ? { gsi1pk: GSI.openOperations, gsi1sk: `${o.createdAt}#${o.operationId}` } : {}),
    gsi2pk: GSI.operationsOf(o.tenantId),
    gsi2sk: `${o.createdAt}#${o.operationId}`,
  };
}

export function eventItem(eventId: string, tenantId: string | null, outcome: string, recordedAt: string, ttlSeconds: number): Item {
  const key = keys.event(eventId);
  return { ...key, entity: 'EVENT', eventId, tenantId, outcome, recordedAt, gsi1pk: GSI.ledger, gsi1sk: `${recordedAt}#${key.pk}`, ttl: epochSeconds(recordedAt) + ttlSeconds };
}

export function idempotencyItem(r: IdempotencyRecord, ttlSeconds: number): Item {
  const key = keys.idempotency(r.key, r.scope);
  return { ...r, ...key, entity: 'IDEMPOTENCY', gsi1pk: GSI.ledger, gsi1sk: `${r.createdAt}#${key.pk}#${key.sk}`, ttl: epochSeconds(r.createdAt) + ttlSeconds };
}

/** A `notify` write: the notification kept whole under `notification`, in commit order on GSI1. */
export function notificationItem(n: Notification, commitOrder: string, indexInCommit: number): Item {
  return { ...keys.notification(n.notificationId), entity: 'NOTIFY', notification: n, gsi1pk: GSI.notifications, gsi1sk: `${commitOrder}#${String(indexInCommit).padStart(3, '0')}#${n.notificationId}` };
}

export const hostnameItem = (name: string, tenantId: string, siteId: string): Item => ({ ...keys.hostname(name), entity: 'HOSTNAME', hostname: normalizeHostname(name), tenantId, siteId });

/** Creates the table with its indexes and TTL unless it exists; waits until it is ACTIVE. */
export async function ensureStoreTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
    const index = (name: string) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: `${name}pk`, KeyType: 'HASH' as const },
        { AttributeName: `${name}sk`, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    });
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'].map((a) => ({ AttributeName: a, AttributeType: 'S' as const })),
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: [index('gsi1'), index('gsi2')],
        }),
      );
    } catch (createErr) {
      // Another process created it first.
      if ((createErr as { name?: string }).name !== 'ResourceInUseException') throw createErr;
    }
  }
  for (let i = 0; i < 120; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  try {
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } }));
  } catch (err) {
    // Already enabled (a second start) is fine.
    if (!/already enabled|TimeToLive is already/i.test(String((err as Error).message))) throw err;
  }
}
