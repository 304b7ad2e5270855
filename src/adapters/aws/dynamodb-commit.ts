/**
 * `Store.commit` on DynamoDB: the writes become one `TransactWriteItems` call with a condition per
 * item, so they succeed or fail together like the SQLite transaction. A failed condition names its
 * record (the cancellation reasons line up with the items), and `enqueue` writes an outbox item in
 * the same transaction (dynamodb-outbox.ts relays it to SQS).
 *
 * What SQLite checks inside its transaction, DynamoDB checks in conditions: a version, a key that
 * must not exist, a host name free or already ours. Host names an instance or site gives up are
 * read first and deleted under the record's version condition, so a stale read cannot free a name
 * that is routed again meanwhile.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { BbwsError } from '../../domain/errors.js';
import type { QueueDefinition } from '../../domain/queues.js';
import type { Instance } from '../../domain/tenant.js';
import type { Site } from '../../domain/site.js';
import { StoreConflictError, type Write } from '../../ports/store.js';
import { validateOutgoingMessage } from '../queue/message-rules.js';
import {
  GSI,
  eventItem,
  hostnameItem,
  instanceItem,
  notificationItem,
  keys,
  normalizeHostname,
  operationItem,
  siteItem,
  tenantItem,
  type Item,
  type Key,
} from './dynamodb-items.js';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
/** Who an item speaks for when its condition fails. */
export type ConflictTarget = { which: StoreConflictError['which']; id: string };

export interface CommitPlan {
  items: TransactItem[];
  targets: ConflictTarget[];
  /** Outbox items written by this commit, for the relay to send right after it. */
  outbox: Item[];
}

/** DynamoDB's limit for one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

interface PlanContext {
  doc: DynamoDBDocumentClient;
  table: string;
  queues: ReadonlyMap<string, QueueDefinition>;
  now: () => number;
  eventTtlSeconds: number;
}

function versioned(item: Item, expectedVersion: number | null, table: string): TransactItem {
  return expectedVersion === null
    ? { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } }
    : {
        Put: {
          TableName: table,
          Item: item,
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      };
}

/** Free, or already routed to this (tenant, site): the only states in which a name may be (re)claimed or released. */
const OWNED_OR_FREE = 'attribute_not_exists(pk) OR (tenantId = :tenant AND siteId = :site)';

function claim(table: string, name: string, tenantId: string, siteId: string): TransactItem {
  return {
    Put: {
      TableName: table,
      Item: hostnameItem(name, tenantId, siteId),
      ConditionExpression: OWNED_OR_FREE,
      ExpressionAttributeValues: { ':tenant': tenantId, ':site': siteId },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

function release(table: string, name: string, tenantId: string, siteId: string): TransactItem {
  return {
    Delete: { TableName: table, Key: keys.hostname(name), ConditionExpression: OWNED_OR_FREE, ExpressionAttributeValues: { ':tenant': tenantId, ':site': siteId } },
  };
}

const unique = (names: readonly string[]) => [...new Set(names.map(normalizeHostname))];

/**
 * Commits planned by this process, in order: the outbox's sort key is the commit time and then this
 * sequence, so commits within one millisecond keep their order. Across processes the order is the
 * clocks' (a relayed notification is idempotent, so a tie only reorders deliveries).
 */
let commitSequence = 0;

/** Turns the writes into transaction items, reading what the conditions need first. */
export async function planCommit(writes: readonly Write[], ctx: PlanContext): Promise<CommitPlan> {
  const { doc, table } = ctx;
  // Invalid messages fail the commit before anything is written (as in SQLite).
  for (const w of writes) if (w.kind === 'enqueue') validateOutgoingMessage(ctx.queues, w.message);
  const plan: CommitPlan = { items: [], targets: [], outbox: [] };
  const add = (item: TransactItem, target: ConflictTarget) => {
    plan.items.push(item);
    plan.targets.push(target);
  };
  const read = async <T>(key: Key) => (await doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item as T | undefined;
  const at = ctx.now();
  commitSequence = (commitSequence + 1) % 1e12;
  const commitOrder = `${new Date(at).toISOString()}#${String(commitSequence).padStart(12, '0')}`;

  for (const w of writes) {
    switch (w.kind) {
      case 'putTenant':
        add(versioned(tenantItem(w.tenant), w.expectedVersion, table), { which: 'tenant', id: w.tenant.tenantId });
        break;
      case 'putOperation':
        add(versioned(operationItem(w.operation), w.expectedVersion, table), { which: 'operation', id: w.operation.operationId });
        break;
      case 'putInstance': {
        const { instance } = w;
        add(versioned(instanceItem(instance), w.expectedVersion, table), { which: 'instance', id: instance.tenantId });
        const old = w.expectedVersion === null ? undefined : await read<Instance>(keys.instance(instance.tenantId));
        const names = unique(instance.spec.hostnames);
        for (const name of names) add(claim(table, name, instance.tenantId, ''), { which: 'hostname', id: name });
        for (const name of unique(old?.spec.hostnames ?? [])) {
          if (!names.includes(name)) add(release(table, name, instance.tenantId, ''), { which: 'hostname', id: name });
        }
        break;
      }
      case 'putSite': {
        const { site } = w;
        const siteId = site.siteId;
        add(versioned(siteItem(site), w.expectedVersion, table), { which: 'site', id: `${site.tenantId}/${siteId}` });
        const old = w.expectedVersion === null ? undefined : await read<Site>(keys.site(site.tenantId, siteId));
        const names = site.status === 'DELETED' ? [] : unique(site.hostnames);
        for (const name of names) add(claim(table, name, site.tenantId, siteId), { which: 'hostname', id: name });
        const held = old && old.status !== 'DELETED' ? unique(old.hostnames) : [];
        for (const name of held) if (!names.includes(name)) add(release(table, name, site.tenantId, siteId), { which: 'hostname', id: name });
        break;
      }
      case 'deleteSite': {
        const old = await read<Site & { version: number }>(keys.site(w.tenantId, w.siteId));
        // Deleted at the version asked for: a site gone or changed meanwhile conflicts.
        add(
          { Delete: { TableName: table, Key: keys.site(w.tenantId, w.siteId), ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': w.expectedVersion } } },
          { which: 'site', id: `${w.tenantId}/${w.siteId}` },
        );
        if (old && old.version === w.expectedVersion && old.status !== 'DELETED') {
          for (const name of unique(old.hostnames)) add(release(table, name, w.tenantId, w.siteId), { which: 'hostname', id: name });
        }
        break;
      }
      case 'deleteTenant': {
        const found = await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `TENANT#${w.tenantId}` }, ConsistentRead: true }));
        if (w.expectedInstanceVersion !== undefined && found.Items?.find((i) => i.entity === 'INSTANCE')?.version !== w.expectedInstanceVersion)
          throw new StoreConflictError('instance', w.tenantId);
        for (const item of found.Items ?? []) {
          const key = { pk: item.pk as string, sk: item.sk as string };
          // Deleted as read: a record changed since makes the commit conflict (and the store retry it).
          add(
            { Delete: { TableName: table, Key: key, ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': item.version } } },
            { which: 'tenant', id: w.tenantId },
          );
          if (item.entity === 'INSTANCE') {
            for (const name of unique((item as unknown as Instance).spec.hostnames)) add(release(table, name, w.tenantId, ''), { which: 'hostname', id: name });
          }
          if (item.entity === 'SITE' && item.status !== 'DELETED') {
            for (const name of unique((item as unknown as Site).hostnames)) add(release(table, name, w.tenantId, item.siteId as string), { which: 'hostname', id: name });
          }
        }
        break;
      }
      case 'enqueue': {
        const id = randomUUID();
        const createdAt = new Date(at).toISOString();
        const item: Item = { ...keys.outbox(id), entity: 'OUTBOX', outboxId: id, ...w.message, createdAt, gsi1pk: GSI.outbox, gsi1sk: `${createdAt}#${id}` };
        plan.outbox.push(item);
        add({ Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } }, { which: 'event', id });
        break;
      }
      case 'notify':
        add(
          {
            Put: {
              TableName: table,
              Item: notificationItem(w.notification, commitOrder, plan.items.length),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { which: 'notification', id: w.notification.notificationId },
        );
        break;
      case 'recordEvent':
        add(
          {
            Put: {
              TableName: table,
              Item: eventItem(w.eventId, w.tenantId, w.outcome, new Date(at).toISOString(), ctx.eventTtlSeconds),
              ConditionExpression: 'attribute_not_exists(pk)',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          { which: 'event', id: w.eventId },
        );
        break;
      default: {
        const unknown: never = w;
        throw new BbwsError('VALIDATION_FAILED', 'Unknown write kind.', { kind: (unknown as { kind: unknown }).kind });
      }
    }
  }
  if (plan.items.length > MAX_TRANSACTION_ITEMS) {
    throw new BbwsError('VALIDATION_FAILED', `A commit may touch at most ${MAX_TRANSACTION_ITEMS} items on DynamoDB; this one touches ${plan.items.length}.`, {
      field: 'writes',
      items: plan.items.length,
    });
  }
  assertDistinctItems(plan.items);
  return plan;
}

/** DynamoDB refuses a transaction that touches one item twice; say which, rather than a ValidationException. */
function assertDistinctItems(items: readonly TransactItem[]): void {
  const seen = new Set<string>();
  for (const item of items) {
    const key = (item.Put?.Item ?? item.Delete?.Key ?? item.Update?.Key ?? item.ConditionCheck?.Key) as Key;
    const id = `${key.pk}|${key.sk}`;
    if (seen.has(id)) throw new Error(`a DynamoDB commit cannot write ${key.pk} ${key.sk} twice; split the commit`);
    seen.add(id);
  }
}
