/**
 * Who receives notifications: webhook subscriptions (an operator's, for every tenant, or a
 * tenant's own) and the log of deliveries made to them. Adapter: `adapters/notifier/webhooks.ts`
 * (one object serves this port and the {@link Notifier} port, on the same tables). Contract
 * suite: `test/contract/notifier.contract.ts`.
 *
 * What an adapter must guarantee:
 * - `addWebhook` validates with the rules of `domain/webhook.ts` (VALIDATION_FAILED) and returns
 *   the signing secret once; the secret is stored encrypted or not at all in plain text, and no
 *   other method returns it.
 * - A webhook added before `publish` resolves receives that notification when its types and
 *   tenant match; a webhook removed is never called again, and its pending deliveries end FAILED.
 * - `removeWebhook` of an unknown id throws WEBHOOK_NOT_FOUND.
 * - `listWebhooks(undefined)` lists all, `listWebhooks(null)` only operator (all-tenant)
 *   webhooks, `listWebhooks(tenantId)` that tenant's — oldest first.
 * - `listDeliveries` is newest first; `limit` is 1-1000 (VALIDATION_FAILED otherwise).
 */
import type { NotificationType } from '../domain/notification.js';

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

export interface NewWebhook {
  url: string;
  types?: NotificationType[];
  tenantId?: string | null;
  publicOnly?: boolean;
}

export interface WebhookSubscriptions {
  addWebhook(input: NewWebhook): Promise<WebhookSubscription & { secret: string }>;
  listWebhooks(tenantId?: string | null): Promise<WebhookSubscription[]>;
  removeWebhook(webhookId: string): Promise<void>;
  listDeliveries(options: { webhookId?: string; limit: number }): Promise<WebhookDelivery[]>;
}
