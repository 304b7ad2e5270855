/**
 * AWS adapters on the local emulators, for tests: one DynamoDB Local per test file (started on
 * first use, stopped by PID after the file), a fresh table per test, and a fresh fauxqs (in this
 * process) per test whose clock follows the test's manual clock.
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll } from 'vitest';
import { ensureStoreTable } from '../../src/adapters/aws/dynamodb-items.js';
import { createDynamoStore, type DynamoStore } from '../../src/adapters/aws/dynamodb-store.js';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startDynamoDbLocal, startFauxqsEmulator, type RunningEmulator } from '../../src/adapters/aws/emulators.js';
import { createSqsQueue } from '../../src/adapters/aws/sqs-queue.js';
import type { QueueDefinition } from '../../src/domain/queues.js';
import type { Queue } from '../../src/ports/queue.js';
import { useClockForDateNow } from './emulator-clock.js';

let dynamo: Promise<RunningEmulator> | undefined;

// Registered when a test file imports this module (hooks added during a test would be ignored):
// the file's DynamoDB Local is stopped by its PID after the file's tests.
afterAll(async () => {
  const running = dynamo;
  dynamo = undefined;
  await (await running?.catch(() => undefined))?.stop();
});

/** The file's DynamoDB Local, started on first use. */
export function sharedDynamoDbLocal(): Promise<RunningEmulator> {
  dynamo ??= startDynamoDbLocal();
  return dynamo;
}

export interface AwsContext {
  store: DynamoStore;
  queue: Queue;
  dynamoClient: DynamoDBClient;
  sqsClient: SQSClient;
  tableName: string;
  cleanup: () => Promise<void>;
}

/** A DynamoDB store on a fresh table, relaying to an SQS queue on a fresh fauxqs. */
export async function openAwsAdapters(options: { queueDefinitions: readonly QueueDefinition[]; now?: () => number }): Promise<AwsContext> {
  const ddb = await sharedDynamoDbLocal();
  const restoreClock = options.now ? useClockForDateNow(options.now) : () => {};
  const undo: Array<() => Promise<void>> = [async () => restoreClock()];
  const cleanup = async () => {
    for (const fn of undo.splice(0).reverse()) await fn();
  };
  try {
    const sqsEmulator = await startFauxqsEmulator();
    undo.push(() => sqsEmulator.stop());
    const sqsClient = new SQSClient({ endpoint: sqsEmulator.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
    undo.push(async () => sqsClient.destroy());
    const queue = await createSqsQueue({ client: sqsClient, definitions: options.queueDefinitions });
    undo.push(() => queue.close());
    const dynamoClient = new DynamoDBClient({ endpoint: ddb.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
    undo.push(async () => dynamoClient.destroy());
    const tableName = `bbws-test-${randomUUID()}`;
    await ensureStoreTable(dynamoClient, tableName);
    undo.push(async () => {
      await dynamoClient.send(new DeleteTableCommand({ TableName: tableName }));
    });
    const store = createDynamoStore({ client: dynamoClient, tableName, queueDefinitions: options.queueDefinitions, queue, now: options.now });
    undo.push(() => store.close());
    return { store, queue, dynamoClient, sqsClient, tableName, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
