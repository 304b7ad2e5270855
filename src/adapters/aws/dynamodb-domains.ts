/**
 * The DomainRegistry port on the Store's DynamoDB table (the same table, its own partitions):
 *
 * | item | pk | sk |
 * |---|---|---|
 * | a tenant's claim | `DOMAINS#<tenantId>` | `DOMAIN#<domain>` |
 * | the verified owner of a domain | `DOMAIN#<domain>` | `VERIFIED` |
 *
 * A claim is a conditional put (the first wins). Verifying writes the owner item and marks the claim
 * in one transaction: the owner item's condition (absent, or already this tenant's) lets one
 * tenant at most hold a domain VERIFIED, decided by DynamoDB. Reads are strongly consistent.
 * Contract: test/contract/domains.contract.ts (domains.dynamodb.test.ts, on DynamoDB Local).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainClaim, DomainRegistry } from '../../ports/domains.js';

const claimKey = (tenantId: string, domain: string) => ({ pk: `DOMAINS#${tenantId}`, sk: `DOMAIN#${domain}` });
const ownerKey = (domain: string) => ({ pk: `DOMAIN#${domain}`, sk: 'VERIFIED' });
const named = (err: unknown, name: string) => (err as { name?: string }).name === name;

const toClaim = (item: Record<string, unknown>): DomainClaim => ({
  tenantId: item.tenantId as string,
  domain: item.domain as string,
  token: item.token as string,
  status: item.status === 'VERIFIED' ? 'VERIFIED' : 'PENDING',
  createdAt: item.createdAt as string,
  verifiedAt: (item.verifiedAt as string | null | undefined) ?? null,
});

export function createDynamoDomainRegistry(options: { client: DynamoDBClient; tableName: string }): DomainRegistry {
  const doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
  const TableName = options.tableName;
  const get = async (tenantId: string, domain: string) => {
    const { Item } = await doc.send(new GetCommand({ TableName, Key: claimKey(tenantId, domain), ConsistentRead: true }));
    return Item && toClaim(Item);
  };
  const list = async (tenantId: string) => {
    const out: DomainClaim[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `DOMAINS#${tenantId}` }, ConsistentRead: true, ExclusiveStartKey: start }));
      out.push(...(page.Items ?? []).map(toClaim));
      start = page.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
  };
  return {
    async claim(claim) {
      try {
        const item = { ...claimKey(claim.tenantId, claim.domain), tenantId: claim.tenantId, domain: claim.domain, token: claim.token, status: 'PENDING', createdAt: claim.createdAt, verifiedAt: null };
        await doc.send(new PutCommand({ TableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      } catch (err) {
        if (!named(err, 'ConditionalCheckFailedException')) throw err;
      }
      return (await get(claim.tenantId, claim.domain))!;
    },
    get,
    list,
    async markVerified(tenantId, domain, at) {
      const verify = new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName, Item: { ...ownerKey(domain), tenantId, domain, verifiedAt: at }, ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :t', ExpressionAttributeValues: { ':t': tenantId } } },
          { Update: { TableName, Key: claimKey(tenantId, domain), UpdateExpression: 'SET #s = :v, verifiedAt = :at', ConditionExpression: 'attribute_exists(pk) AND #s = :p', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':v': 'VERIFIED', ':p': 'PENDING', ':at': at } } },
        ],
      });
      for (let attempt = 1; ; attempt++) {
        try {
          await doc.send(verify);
          return 'verified';
        } catch (err) {
          if (!named(err, 'TransactionCanceledException')) throw err;
          const [owner, own] = ((err as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).map((r) => r.Code);
          // Another tenant holds it: nothing changed.
          if (owner === 'ConditionalCheckFailed') return 'taken';
          // A concurrent transaction on the same items: decide again, after a short jittered wait.
          if ((owner === 'TransactionConflict' || own === 'TransactionConflict') && attempt < 8) {
            await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
            continue;
          }
          // The claim is missing or verified already: as in SQLite, a no-op.
          if (own === 'ConditionalCheckFailed') return 'verified';
          throw err;
        }
      }
    },
    async verifiedOwner(domain) {
      const { Item } = await doc.send(new GetCommand({ TableName, Key: ownerKey(domain), ConsistentRead: true }));
      return Item?.tenantId as string | undefined;
    },
    async releaseTenant(tenantId) {
      for (const c of await list(tenantId)) {
        if (c.status === 'VERIFIED') {
          try {
            await doc.send(new DeleteCommand({ TableName, Key: ownerKey(c.domain), ConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': tenantId } }));
          } catch (err) {
            if (!named(err, 'ConditionalCheckFailedException')) throw err;
          }
        }
        await doc.send(new DeleteCommand({ TableName, Key: claimKey(tenantId, c.domain) }));
      }
    },
  };
}
