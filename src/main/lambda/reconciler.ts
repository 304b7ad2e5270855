/**
 * Lambda entry point of the reconciler, on a schedule (EventBridge Scheduler or a rate() rule):
 * one reconcile pass (deadlines, queue metrics, retention), the notifications outbox, and the
 * queue outbox a crashed commit left unsent. A failure is thrown so the invocation shows as failed.
 */
import { reconcile } from '../../app/reconcile.js';
import { relayOutbox } from '../../app/relay-outbox.js';
import type { DynamoStore } from '../../adapters/aws/dynamodb-store.js';
import { lambdaPlatform, withMetrics } from './compose.js';

export async function handler(): Promise<{ notificationsRelayed: number; messagesRelayed: number }> {
  return withMetrics(async () => {
    const { deps } = await lambdaPlatform();
    await reconcile(deps);
    const notificationsRelayed = await relayOutbox(deps);
    const messagesRelayed = await (deps.store as DynamoStore).relayOutbox(30_000);
    return { notificationsRelayed, messagesRelayed };
  });
}
