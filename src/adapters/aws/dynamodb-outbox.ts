/**
 * The outbox relay: messages a commit wrote as `OUTBOX#` items in its transaction are sent to the
 * queue, then their items deleted. Sent before deleted, so a crash in between sends a message
 * twice, never loses one (at least once; every consumer is idempotent). The store relays a
 * commit's own messages right after it; `relayPending` sweeps what a crashed process left behind
 * (the worker runs it on a timer; on AWS a DynamoDB stream consumer can call it instead).
 * Relaying twice is harmless: a message whose outbox item is gone was relayed already.
 */
import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OutgoingMessage, Queue } from '../../ports/queue.js';
import { GSI, type Item } from './dynamodb-items.js';

export interface OutboxRelay {
  /** Sends these outbox items and deletes them. Returns how many were sent. */
  relay(items: readonly Item[]): Promise<number>;
  /** Relays every outbox item older than `minAgeMs` (default 0). */
  relayPending(minAgeMs?: number): Promise<number>;
}

export function createOutboxRelay(options: { doc: DynamoDBDocumentClient; table: string; queue: () => Queue | undefined; now: () => number }): OutboxRelay {
  const { doc, table, now } = options;

  async function relay(items: readonly Item[]): Promise<number> {
    const queue = options.queue();
    if (!queue || items.length === 0) return 0;
    for (let i = 0; i < items.length; i += 10) {
      const chunk = items.slice(i, i + 10);
      const messages: OutgoingMessage[] = chunk.map((item) => {
        const delay = (item.delaySeconds as number | undefined) ?? 0;
        // The delay runs from the commit, not from the relay.
        const elapsed = Math.floor((now() - Date.parse(item.createdAt as string)) / 1000);
        const remaining = Math.max(0, delay - elapsed);
        return { queue: item.queue as string, body: item.body as string, ...(remaining > 0 ? { delaySeconds: remaining } : {}) };
      });
      await queue.sendBatch(messages);
      let pending: Record<string, unknown>[] = chunk.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } }));
      for (let attempt = 0; pending.length > 0 && attempt < 8; attempt++) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as Record<string, unknown>[];
        if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      }
    }
    return items.length;
  }

  return {
    relay,
    async relayPending(minAgeMs = 0) {
      const before = new Date(now() - minAgeMs).toISOString();
      let sent = 0;
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new QueryCommand({
            TableName: table,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :p AND gsi1sk <= :before',
            ExpressionAttributeValues: { ':p': GSI.outbox, ':before': `${before}#~` },
            ExclusiveStartKey: start,
          }),
        );
        sent += await relay(page.Items ?? []);
        start = page.LastEvaluatedKey;
      } while (start);
      return sent;
    },
  };
}
