/**
 * Sending notifications of the topic `bbws-wp-notifications-<env>` (seed 001). Adapter:
 * `adapters/notifier/webhooks.ts` — signed webhooks (HMAC-SHA256) with retries, backoff and a
 * delivery log; SNS on AWS. Who receives them is the {@link WebhookSubscriptions} port's business
 * (`ports/webhook-subscriptions.ts`). Contract suite: `test/contract/notifier.contract.ts`.
 *
 * Use cases do not call `publish`: they add a `notify` write to the `Store.commit` of the state
 * change that causes the notification (the outbox), and `app/relay-outbox.ts` publishes it. So a
 * crash between the two loses nothing, and `publish` sees each notification at least once.
 *
 * What an adapter must guarantee:
 * - `publish` is durable when it resolves: the notification reaches every matching subscriber
 *   later even if this process dies right after (at-least-once delivery).
 * - `publish` is idempotent by `notificationId`: publishing an id again (a relay that crashed
 *   before it removed the outbox entry) adds no second delivery.
 * - It never waits for a receiver: a slow or dead endpoint does not slow `publish`.
 * - No ordering between notifications is promised to receivers; each carries `occurredAt`.
 */
import { NOTIFICATION_TYPES, type Notification, type NotificationType } from '../domain/notification.js';

export { NOTIFICATION_TYPES, type Notification, type NotificationType };

export interface Notifier {
  /** Records the notification for delivery (see the guarantees above). Throws VALIDATION_FAILED for an unknown type. */
  publish(notification: Notification): Promise<void>;
  /** Stops sending; what is recorded stays for the next start. */
  close(): Promise<void>;
}
