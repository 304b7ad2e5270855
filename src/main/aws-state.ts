/**
 * The control plane's state and queues on DynamoDB and SQS (`bbws up --state dynamodb --queues
 * sqs`, the Lambda handlers): opens the adapters from the settings of state-settings.ts, and runs
 * the outbox sweep. Loaded only when asked for: the AWS SDK stays out of an embedded start.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Environment } from '../domain/naming.js';
import { notificationQueueDefinitions, type QueueDefinition } from '../domain/queues.js';
import { ensureStoreTable } from '../adapters/aws/dynamodb-items.js';
import { createDynamoStore, type DynamoStore } from '../adapters/aws/dynamodb-store.js';
import { createDynamoDomainRegistry } from '../adapters/aws/dynamodb-domains.js';
import type { DomainRegistry } from '../ports/domains.js';
import { createSqsQueue } from '../adapters/aws/sqs-queue.js';
import type { Queue } from '../ports/queue.js';
import type { Logger } from '../ports/logger.js';
import type { StateSettings } from './state-settings.js';
import { openAwsNotifications, type AwsNotifications } from './aws-notifications.js';

export interface AwsState {
  store: DynamoStore;
  queue: Queue;
  /** Custom-domain claims, in the store's table. */
  domains: DomainRegistry;
  /** The SNS topic the notifications go to, and the queue that feeds the webhooks from it. */
  notifications: AwsNotifications;
  close(): Promise<void>;
}

/**
 * Opens the DynamoDB store (creating its table if missing) relaying to the SQS queue (creating the
 * queues, the notification webhook feed's included) and the notifications topic.
 */
export async function openAwsState(settings: StateSettings, platformQueues: readonly QueueDefinition[], options: { env: Environment; tokenSecret: Buffer; now?: () => number }): Promise<AwsState> {
  const dynamo = new DynamoDBClient({ region: settings.region, endpoint: settings.endpoints.dynamodb });
  const sqs = new SQSClient({ region: settings.region, endpoint: settings.endpoints.sqs });
  const definitions = [...platformQueues, ...notificationQueueDefinitions(options.env)];
  try {
    await ensureStoreTable(dynamo, settings.tableName);
    const queue = await createSqsQueue({ client: sqs, definitions });
    const store = createDynamoStore({ client: dynamo, tableName: settings.tableName, queueDefinitions: definitions, queue, tokenSecret: options.tokenSecret, now: options.now });
    const notifications = await openAwsNotifications(settings, options.env, sqs);
    return {
      store,
      queue,
      domains: createDynamoDomainRegistry({ client: dynamo, tableName: settings.tableName }),
      notifications,
      async close() {
        notifications.close();
        await queue.close();
        await store.close();
        dynamo.destroy();
        sqs.destroy();
      },
    };
  } catch (err) {
    dynamo.destroy();
    sqs.destroy();
    throw new Error(`cannot open the AWS state (DynamoDB ${settings.endpoints.dynamodb ?? 'AWS'}, SQS ${settings.endpoints.sqs ?? 'AWS'}): ${(err as Error).message}`);
  }
}

/** Relays outbox messages older than 30 s (a crashed commit's) every 10 s, until aborted. */
export async function runOutboxSweep(store: DynamoStore, logger: Logger, signal: AbortSignal, intervalMs = 10_000): Promise<void> {
  while (!signal.aborted) {
    try {
      const sent = await store.relayOutbox(30_000);
      if (sent > 0) logger.warn({ action: 'OUTBOX_RELAY', count: sent }, `relayed ${sent} outbox message(s) a commit left unsent`);
    } catch (err) {
      logger.error({ action: 'OUTBOX_RELAY', err: err instanceof Error ? err.message : String(err) }, 'outbox sweep failed');
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
