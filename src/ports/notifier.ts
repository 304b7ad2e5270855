/**
 * The notifications topic (`bbws-wp-notifications-<env>`, seed 001). Adapter:
 * `adapters/notifier/webhooks.ts` — signed webhooks (HMAC-SHA256) with retries, backoff and a
 * delivery log; SNS on AWS.
 */
import { NOTIFICATION_TYPES, type NotificationType } from '../domain/webhook.js';

export { NOTIFICATION_TYPES, type NotificationType };

export interface Notification {
  type: NotificationType;
  tenantId: string;
  siteId: string;
  /** Safe to send to customers' endpoints: never secrets. */
  data: Record<string, unknown>;
  occurredAt: string;
}

export interface WebhookSubscription {
  webhookId: string;
  url: string;
  /** Types delivered; empty means all. */
  types: NotificationType[];
  /** Only for this tenant's sites; null means all tenants (operator webhook). */
  tenantId: string | null;
  /** Only public addresses may be called (webhooks added by a tenant-admin): no SSRF into the platform's network. */
  publicOnly: boolean;
  createdAt: string;
}

export interface WebhookDelivery {
  deliveryId: string;
  webhookId: string;
  type: NotificationType;
  attempt: number;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  statusCode: number | null;
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Notifier {
  /** Publishes to the topic; delivery happens asynchronously with retries. Never throws for a slow endpoint. */
  publish(notification: Notification): Promise<void>;
  addWebhook(input: { url: string; types?: NotificationType[]; tenantId?: string | null; publicOnly?: boolean }): Promise<WebhookSubscription & { secret: string }>;
  listWebhooks(tenantId?: string | null): Promise<WebhookSubscription[]>;
  removeWebhook(webhookId: string): Promise<void>;
  listDeliveries(options: { webhookId?: string; limit: number }): Promise<WebhookDelivery[]>;
  close(): Promise<void>;
}
