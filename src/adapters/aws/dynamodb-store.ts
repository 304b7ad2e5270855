/**
 * The Store port on DynamoDB (AWS SDK v3 document client), one table with the keys of DESIGN.md
 * (dynamodb-items.ts). It passes the same contract as the SQLite store
 * (test/contract/store.dynamodb.test.ts, on DynamoDB Local).
 *
 * - `commit` is one TransactWriteItems (dynamodb-commit.ts). A failed condition throws
 *   StoreConflictError naming the record; a transaction cancelled by a concurrent one
 *   (TransactionConflict) is retried a few times, then reported as a conflict on that record.
 * - Messages go through the outbox in the same transaction, relayed to the queue right after the
 *   commit and by `relayOutbox()` for what a crash left (dynamodb-outbox.ts).
 * - `nextToken` is the encoded LastEvaluatedKey with an HMAC: a token altered or made up is a
 *   VALIDATION_FAILED, never a scan from an arbitrary key.
 * - Reads of single records are strongly consistent; the listings served by the GSIs (tenants,
 *   instances by state, open operations, expired previews) are eventually consistent on AWS.
 * - Event ids and idempotency records carry a `ttl` (DynamoDB deletes them itself) and `prune`
 *   deletes them on demand, as in SQLite.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { BbwsError } from '../../domain/errors.js';
import type { Notification } from '../../domain/notification.js';
import type { Operation } from '../../domain/operation.js';
import type { QueueDefinition } from '../../domain/queues.js';
import type { Site } from '../../domain/site.js';
import type { Instance, Tenant } from '../../domain/tenant.js';
import type { Queue } from '../../ports/queue.js';
import { StoreConflictError, type IdempotencyRecord, type Page, type Store, type Write } from '../../ports/store.js';
import { indexQueueDefinitions } from '../queue/message-rules.js';
import { planCommit } from './dynamodb-commit.js';
import { GSI, idempotencyItem, keys, stripMeta, type Item } from './dynamodb-items.js';
import { createOutboxRelay } from './dynamodb-outbox.js';

export interface DynamoStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  queueDefinitions: readonly QueueDefinition[];
  /** Where outbox messages are relayed (the SQS adapter); without one they wait for a relay elsewhere. */
  queue?: Queue;
  /** Signs paging tokens. Give every process of one deployment the same secret (default: random per process). */
  tokenSecret?: Buffer;
  now?: () => number;
  /** TTL of event ids and idempotency records (default 7 days). */
  ledgerTtlSeconds?: number;
}

export interface DynamoStore extends Store {
  /** Relays outbox messages a crashed commit left unsent, older than `minAgeMs`. Returns the count. */
  relayOutbox(minAgeMs?: number): Promise<number>;
  /** DynamoDB requests made so far, by operation name (benchmarks: calls per API request). */
  readonly calls: Readonly<Record<string, number>>;
}

const SEVEN_DAYS = 7 * 24 * 3600;
const TRANSACTION_RETRIES = 4;

const positiveLimit = (limit: number) => {
  if (!Number.isInteger(limit) || limit < 1) throw new BbwsError('VALIDATION_FAILED', 'limit must be a positive integer.', { field: 'limit', value: limit });
};

export function createDynamoStore(options: DynamoStoreOptions): DynamoStore {
  const table = options.tableName;
  const now = options.now ?? Date.now;
  const calls: Record<string, number> = {};
  const doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
  // Counted per store (the SDK client may be shared): each request, by its command's name.
  const send = doc.send.bind(doc) as (command: object, ...rest: unknown[]) => Promise<unknown>;
  (doc as unknown as { send: typeof send }).send = (command, ...rest) => {
    const name = command.constructor.name;
    calls[name] = (calls[name] ?? 0) + 1;
    return send(command, ...rest);
  };
  const queues = indexQueueDefinitions(options.queueDefinitions);
  const secret = options.tokenSecret ?? randomBytes(32);
  const ledgerTtl = options.ledgerTtlSeconds ?? SEVEN_DAYS;
  const relay = createOutboxRelay({ doc, table, queue: () => options.queue, now });
  let closed = false;

  const mac = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url').slice(0, 22);
  const encodeToken = (key: Record<string, unknown>) => {
    const payload = Buffer.from(JSON.stringify(key)).toString('base64url');
    return `${payload}.${mac(payload)}`;
  };
  function decodeToken(token: string): Record<string, unknown> {
    const [payload, tag, extra] = typeof token === 'string' ? token.split('.') : [];
    const expected = payload ? mac(payload) : '';
    if (!payload || !tag || extra !== undefined || tag.length !== expected.length || !timingSafeEqual(Buffer.from(tag), Buffer.from(expected))) {
      throw new BbwsError('VALIDATION_FAILED', 'nextToken is not a token this API returned.', { field: 'nextToken' });
    }
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  }

  /** Runs a DynamoDB call, turning service unavailability into STORE_UNAVAILABLE. */
  async function run<T>(fn: () => Promise<T>): Promise<T> {
    if (closed) throw new Error('the DynamoDB store is closed');
    try {
      return await fn();
    } catch (err) {
      if (err instanceof BbwsError || err instanceof StoreConflictError) throw err;
      const name = (err as { name?: string }).name ?? '';
      const retryable = (err as { $retryable?: unknown }).$retryable !== undefined;
      if (retryable || /Throughput|Throttl|RequestLimitExceeded|InternalServerError|ServiceUnavailable|ECONNREFUSED|TimeoutError/.test(name + String((err as Error).message))) {
        throw new BbwsError('STORE_UNAVAILABLE', undefined, { dynamodbError: name });
      }
      throw err;
    }
  }

  const get = async <T>(key: { pk: string; sk: string }) => {
    const out = await doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    return out.Item ? stripMeta<T>(out.Item) : undefined;
  };

  async function queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new QueryCommand({ ...input, TableName: table, ExclusiveStartKey: start }));
      items.push(...((page.Items ?? []) as Item[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Deletes by key, 25 a request, retrying what DynamoDB leaves unprocessed. A missing key is fine. */
  async function batchDelete(keyList: ReadonlyArray<{ pk: string; sk: string }>): Promise<void> {
    for (let i = 0; i < keyList.length; i += 25) {
      let pending: Record<string, unknown>[] = keyList.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as Record<string, unknown>[];
      }
    }
  }

  async function transact(writes: readonly Write[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const plan = await planCommit(writes, { doc, table, queues, now, eventTtlSeconds: ledgerTtl });
      if (plan.items.length === 0) return;
      try {
        await doc.send(new TransactWriteCommand({ TransactItems: plan.items }));
      } catch (err) {
        if ((err as { name?: string }).name !== 'TransactionCanceledException') throw err;
        const reasons = (err as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
        const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
        const target = failed >= 0 ? plan.targets[failed] : undefined;
        // A tenant deletion planned from a read that is stale now: plan it again.
        const stalePlan = target?.which === 'tenant' && writes.some((w) => w.kind === 'deleteTenant' && w.tenantId === target.id) && plan.items[failed]?.Delete;
        if (target && !(stalePlan && attempt < TRANSACTION_RETRIES)) throw new StoreConflictError(target.which, target.id);
        const busy = reasons.findIndex((r) => r.Code === 'TransactionConflict');
        if (!target && busy < 0) throw err;
        if (attempt >= TRANSACTION_RETRIES) throw new StoreConflictError(plan.targets[busy].which, plan.targets[busy].id);
        await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40 * (attempt + 1)));
        continue;
      }
      await relay.relay(plan.outbox).catch(() => {
        // Left in the outbox: relayOutbox() sends it later. The commit itself succeeded.
      });
      return;
    }
  }

  const store: DynamoStore = {
    calls,
    commit: (writes) => run(() => transact(writes)),
    relayOutbox: (minAgeMs) => run(() => relay.relayPending(minAgeMs)),

    getTenant: (tenantId) => run(() => get<Tenant>(keys.tenant(tenantId))),
    getInstance: (tenantId) => run(() => get<Instance>(keys.instance(tenantId))),

    // One Query: METADATA and INSTANCE are the two sort keys between 'INSTANCE' and 'METADATA'.
    getTenantWithInstance: (tenantId) =>
      run(async () => {
        const out = await doc.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
            ExpressionAttributeValues: { ':pk': keys.tenant(tenantId).pk, ':a': 'INSTANCE', ':b': 'METADATA' },
            ConsistentRead: true,
          }),
        );
        const items = (out.Items ?? []) as Item[];
        const tenant = items.find((i) => i.sk === 'METADATA');
        if (!tenant) return undefined;
        const instance = items.find((i) => i.sk === 'INSTANCE');
        return { tenant: stripMeta<Tenant>(tenant), instance: instance ? stripMeta<Instance>(instance) : undefined };
      }),

    listTenants: ({ limit, nextToken }) =>
      run(async (): Promise<Page<Tenant>> => {
        positiveLimit(limit);
        const start = nextToken ? decodeToken(nextToken) : undefined;
        // One more than asked tells whether another page exists.
        const out = await doc.send(
          new QueryCommand({
            TableName: table,
            IndexName: 'gsi2',
            KeyConditionExpression: 'gsi2pk = :p',
            ExpressionAttributeValues: { ':p': GSI.tenants },
            Limit: limit + 1,
            ExclusiveStartKey: start,
          }),
        );
        const items = ((out.Items ?? []) as Item[]).slice(0, limit);
        const more = (out.Items ?? []).length > limit;
        const last = items[items.length - 1];
        return {
          items: items.map((i) => stripMeta<Tenant>(i)),
          nextToken: more && last ? encodeToken({ pk: last.pk, sk: last.sk, gsi2pk: last.gsi2pk, gsi2sk: last.gsi2sk }) : null,
        };
      }),

    findTenantByHostname: (hostname) => run(async () => (await get<{ tenantId: string }>(keys.hostname(hostname)))?.tenantId),

    listInstancesByState: (states) =>
      run(async () => {
        const lists = await Promise.all(
          [...new Set(states)].map((state) =>
            queryAll({ IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': GSI.byState(state) } }),
          ),
        );
        return lists
          .flat()
          .map((i) => stripMeta<Instance>(i))
          .sort((a, b) => (a.tenantId < b.tenantId ? -1 : 1));
      }),

    getSite: (tenantId, siteId) => run(() => get<Site>(keys.site(tenantId, siteId))),
    listSites: (tenantId) =>
      run(async () => {
        const items = await queryAll({
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)',
          ExpressionAttributeValues: { ':pk': keys.tenant(tenantId).pk, ':s': 'SITE#' },
          ConsistentRead: true,
        });
        return items.map((i) => stripMeta<Site>(i)).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.siteId.localeCompare(b.siteId));
      }),
    listExpiredSites: (iso) =>
      run(async () => {
        const items = await queryAll({
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p AND gsi1sk < :iso',
          ExpressionAttributeValues: { ':p': GSI.expiringSites, ':iso': iso },
        });
        return items.map((i) => stripMeta<Site>(i));
      }),

    getOperation: (operationId) => run(() => get<Operation>(keys.operation(operationId))),
    listOperations: (tenantId, limit) =>
      run(async () => {
        positiveLimit(limit);
        const out = await doc.send(
          new QueryCommand({
            TableName: table,
            IndexName: 'gsi2',
            KeyConditionExpression: 'gsi2pk = :p',
            ExpressionAttributeValues: { ':p': GSI.operationsOf(tenantId) },
            ScanIndexForward: false,
            Limit: limit,
          }),
        );
        return ((out.Items ?? []) as Item[]).map((i) => stripMeta<Operation>(i));
      }),
    listOpenOperations: (tenantId) =>
      run(async () => {
        const items = await queryAll({ IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': GSI.openOperations } });
        return items.map((i) => stripMeta<Operation>(i)).filter((o) => tenantId === undefined || o.tenantId === tenantId);
      }),

    listOutbox: (limit) =>
      run(async () => {
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BbwsError('VALIDATION_FAILED', 'limit must be an integer from 1 to 1000.', { field: 'limit', value: limit });
        const out = await doc.send(
          new QueryCommand({ TableName: table, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': GSI.notifications }, Limit: limit }),
        );
        return ((out.Items ?? []) as Item[]).map((i) => i.notification as Notification);
      }),
    deleteOutbox: (ids) => run(() => batchDelete([...new Set(ids)].map((id) => keys.notification(id)))),

    hasEvent: (eventId) => run(async () => (await get(keys.event(eventId))) !== undefined),

    getIdempotency: (key, scope) =>
      run(async () => {
        const item = await get<IdempotencyRecord & { entity?: string }>(keys.idempotency(key, scope));
        if (!item) return undefined;
        const { key: k, scope: s, requestHash, statusCode, body, createdAt } = item;
        return { key: k, scope: s, requestHash, statusCode, body, createdAt };
      }),
    putIdempotency: (record) =>
      run(async () => {
        try {
          await doc.send(new PutCommand({ TableName: table, Item: idempotencyItem(record, ledgerTtl), ConditionExpression: 'attribute_not_exists(pk)' }));
          return true;
        } catch (err) {
          if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
          throw err;
        }
      }),

    prune: (olderThan) =>
      run(async () => {
        const old = await queryAll({
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p AND gsi1sk < :t',
          ExpressionAttributeValues: { ':p': GSI.ledger, ':t': olderThan },
        });
        await batchDelete(old.map((item) => ({ pk: item.pk as string, sk: item.sk as string })));
        return old.length;
      }),

    ping: () =>
      run(async () => {
        await doc.send(new GetCommand({ TableName: table, Key: { pk: 'PING', sk: 'PING' } }));
      }),

    async close() {
      closed = true;
    },
  };
  return store;
}
