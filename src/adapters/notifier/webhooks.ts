/**
 * The notifications topic (`bbws-wp-notifications-<env>`, seed 001) as signed webhooks on this
 * host: subscriptions and a delivery log in the platform's SQLite file, HMAC-SHA256 signatures,
 * retries with exponential backoff and jitter. See `docs/webhooks.md` for what receivers see.
 *
 * Delivery is at least once: `publish` commits one PENDING delivery per matching subscription
 * (at most one per notification id and subscription) before it returns, then the scheduler of
 * `webhook-delivery.ts` sends them. Because the schedule lives in the table (`next_attempt_at`),
 * deliveries survive a restart, and several processes on one file share the work without sending
 * one attempt twice (see the lease in `webhooks-schema.ts`).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { BbwsError, isDiskFull } from '../../domain/errors.js';
import { assertTenantId } from '../../domain/naming.js';
import type { Logger } from '../../ports/logger.js';
import type { Metrics } from '../../ports/metrics.js';
import { NOTIFICATION_TYPES, type Notification, type Notifier } from '../../ports/notifier.js';
import type { WebhookSubscription, WebhookSubscriptions } from '../../ports/webhook-subscriptions.js';
import type { Secrets } from '../../ports/secrets.js';
import { applyMigrations, isSqliteUnavailableError, type SqliteDatabase } from '../sqlite/database.js';
import { isNonPublicLiteral } from './public-address.js';
import { createDeliveryScheduler } from './webhook-delivery.js';
import { describeError, type WebhookRetryPolicy } from './webhook-signing.js';
import { bareHost, normalizeNotificationTypes, validateWebhookUrl } from '../../domain/webhook.js';
import { WEBHOOK_MIGRATIONS, prepareWebhookStatements, rowToDelivery, rowToWebhook, type WebhookRow } from './webhooks-schema.js';

export interface WebhookNotifierOptions {
  /** The shared database (see `openSqliteDatabase`). The notifier does not close it. */
  db: SqliteDatabase;
  logger: Logger;
  metrics: Metrics;
  /** `bbws-wp-notifications-<env>`: sent in every payload so a receiver can tell environments apart. */
  topic: string;
  /** When given, signing secrets are stored here as `webhook-<id>` (encrypted at rest) instead of in the table. */
  secrets?: Secrets;
  /** Clock in epoch ms. */
  now?: () => number;
  /** Per attempt: a receiver that has not answered by then counts as failed. Default 5000. */
  timeoutMs?: number;
  retry?: WebhookRetryPolicy;
  /** Attempts in flight at once, across all receivers. Default 8. */
  maxConcurrent?: number;
  /** How often the table is checked for deliveries written by other processes. Default 1000. */
  pollIntervalMs?: number;
  /** How long `close()` waits for attempts in flight before aborting them. Default 2000. */
  closeTimeoutMs?: number;
}

/**
 * For a webhook limited to public addresses: refuses at once what can be seen from the URL alone
 * (an IP literal that is not public, `localhost`). Host names are checked again at each delivery,
 * on the address connected to (public-address.ts).
 */
function assertMayBePublic(url: URL): void {
  const host = bareHost(url.hostname);
  if (isNonPublicLiteral(host) || host === 'localhost' || host.endsWith('.localhost')) {
    throw new BbwsError('VALIDATION_FAILED', 'Webhook URL must point to a public address: a tenant webhook cannot call the platform host or its private networks.', { field: 'url' });
  }
}

/**
 * Creates the webhook notifier, applying its migrations, and resumes deliveries left PENDING.
 *
 * `listWebhooks(undefined)` lists all, `listWebhooks(null)` only operator (all-tenant) webhooks,
 * `listWebhooks(tenantId)` that tenant's. `removeWebhook` of an unknown id throws NOT_FOUND.
 * After `close()`, `publish` still records deliveries (durably); the next notifier sends them.
 */
export function createWebhookNotifier(options: WebhookNotifierOptions): Notifier & WebhookSubscriptions {
  const { db, metrics, topic, secrets } = options;
  const logger = options.logger.child({ component: 'webhooks' });
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const retry: Required<WebhookRetryPolicy> = {
    baseMs: options.retry?.baseMs ?? 1_000,
    maxAttempts: options.retry?.maxAttempts ?? 6,
    maxDelayMs: options.retry?.maxDelayMs ?? 300_000,
  };
  const maxConcurrent = options.maxConcurrent ?? 8;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
  if (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1) throw new Error('createWebhookNotifier: retry.maxAttempts must be a positive integer');

  applyMigrations(db, 'webhooks', WEBHOOK_MIGRATIONS);
  const stmt = prepareWebhookStatements(db);
  const iso = (ms: number) => new Date(ms).toISOString();
  const secretName = (webhookId: string) => `webhook-${webhookId}`;
  /** Secrets read from the Secrets port, so an attempt does not decrypt a file each time. */
  const secretCache = new Map<string, string>();

  /** Database calls from the API: "database unavailable" becomes STORE_UNAVAILABLE (503, retry). */
  function run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (isDiskFull(err)) throw new BbwsError('INSUFFICIENT_STORAGE', undefined, { sqliteCode: (err as { code: string }).code });
      if (isSqliteUnavailableError(err)) throw new BbwsError('STORE_UNAVAILABLE', undefined, { sqliteCode: (err as { code: string }).code });
      throw err;
    }
  }

  async function secretOf(webhook: WebhookRow): Promise<string | undefined> {
    if (webhook.secret !== null) return webhook.secret;
    const cached = secretCache.get(webhook.webhook_id);
    if (cached !== undefined || !secrets) return cached;
    const value = await secrets.get(secretName(webhook.webhook_id));
    if (value !== undefined) secretCache.set(webhook.webhook_id, value);
    return value;
  }

  const scheduler = createDeliveryScheduler({ db, stmt, logger, metrics, now, timeoutMs, retry, maxConcurrent, pollIntervalMs, closeTimeoutMs, secretOf });
  const wake = scheduler.wake;

  // ---- the port ----------------------------------------------------------------------------------
  const insertDeliveries = db.transaction((notification: Notification, at: number): number => {
    const eventId = notification.notificationId;
    const body = JSON.stringify({
      id: eventId,
      type: notification.type,
      topic,
      tenantId: notification.tenantId,
      siteId: notification.siteId,
      data: notification.data,
      occurredAt: notification.occurredAt,
    });
    const targets = stmt.webhooksForTenant.all(notification.tenantId).map(rowToWebhook).filter((w) => w.types.length === 0 || w.types.includes(notification.type));
    let added = 0;
    for (const webhook of targets) {
      // A subscriber that has this notification already (published again by the outbox relay) gets no second one.
      added += stmt.insertDelivery.run({
        delivery_id: randomUUID(),
        webhook_id: webhook.webhookId,
        event_id: eventId,
        type: notification.type,
        tenant_id: notification.tenantId,
        site_id: notification.siteId,
        body,
        status: 'PENDING',
        attempt: 0,
        status_code: null,
        error: null,
        next_attempt_at: at,
        created_at: iso(at),
        updated_at: iso(at),
      }).changes;
    }
    return added;
  });

  const removeRows = db.transaction((webhookId: string, at: number) => {
    stmt.deleteWebhook.run(webhookId);
    stmt.cancelDeliveries.run({ webhook_id: webhookId, updated_at: iso(at) });
  });

  // Resume what a previous run left PENDING (retries waiting, attempts given back by close()).
  wake(now());

  return {
    async publish(notification) {
      if (!(NOTIFICATION_TYPES as readonly string[]).includes(notification.type)) {
        throw new BbwsError('VALIDATION_FAILED', 'Unknown notification type.', { type: String(notification.type) });
      }
      if (typeof notification.notificationId !== 'string' || notification.notificationId.length === 0) {
        throw new BbwsError('VALIDATION_FAILED', 'A notification needs its notificationId.', { field: 'notificationId' });
      }
      const at = now();
      const eventId = notification.notificationId;
      // Durable before we return: a crash after this line still delivers.
      const count = run(() => insertDeliveries.immediate(notification, at));
      metrics.increment('bbws_notifications_published_total', { type: notification.type });
      logger.debug({ action: 'NOTIFY', eventId, type: notification.type, tenantId: notification.tenantId, siteId: notification.siteId, deliveries: count }, `published ${notification.type} to ${count} webhooks`);
      if (count > 0) wake(at);
    },

    async addWebhook(input) {
      const url = validateWebhookUrl(input.url);
      const types = normalizeNotificationTypes(input.types);
      const tenantId = input.tenantId === undefined || input.tenantId === null ? null : assertTenantId(input.tenantId);
      const publicOnly = input.publicOnly === true;
      if (publicOnly) assertMayBePublic(url);
      const webhookId = randomUUID();
      // 32 random bytes; the receiver uses the whole string as the HMAC key (no decoding step to get wrong).
      const secret = `whsec_${randomBytes(32).toString('base64url')}`;
      const createdAt = iso(now());
      // The secret first: a row without its secret would make its first deliveries fail.
      if (secrets) await secrets.put(secretName(webhookId), secret);
      try {
        run(() =>
          stmt.insertWebhook.run({ webhook_id: webhookId, url: input.url, types: JSON.stringify(types), tenant_id: tenantId, secret: secrets ? null : secret, created_at: createdAt, public_only: publicOnly ? 1 : 0 }),
        );
      } catch (err) {
        if (secrets) await secrets.delete(secretName(webhookId)).catch(() => undefined);
        throw err;
      }
      logger.info({ action: 'WEBHOOK_ADDED', webhookId, tenantId, types, host: url.host, status: 'OK' }, `webhook ${webhookId} added for ${url.host}`);
      const subscription: WebhookSubscription = { webhookId, url: input.url, types, tenantId, publicOnly, createdAt };
      return { ...subscription, secret };
    },

    async listWebhooks(tenantId) {
      const rows = run(() => (tenantId === undefined ? stmt.allWebhooks.all() : tenantId === null ? stmt.operatorWebhooks.all() : stmt.webhooksOfTenant.all(tenantId)));
      return rows.map(rowToWebhook);
    },

    async removeWebhook(webhookId) {
      if (!run(() => stmt.getWebhook.get(webhookId))) throw new BbwsError('WEBHOOK_NOT_FOUND', undefined, { webhookId });
      run(() => removeRows.immediate(webhookId, now()));
      secretCache.delete(webhookId);
      if (secrets) {
        await secrets.delete(secretName(webhookId)).catch((err) =>
          logger.warn({ action: 'WEBHOOK_REMOVED', webhookId, status: 'ERROR', err: describeError(err) }, `could not delete the secret of webhook ${webhookId}`),
        );
      }
      logger.info({ action: 'WEBHOOK_REMOVED', webhookId, status: 'OK' }, `webhook ${webhookId} removed`);
    },

    async listDeliveries({ webhookId, limit }) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BbwsError('VALIDATION_FAILED', 'limit must be 1-1000.', { field: 'limit' });
      const rows = run(() => (webhookId === undefined ? stmt.listDeliveries.all(limit) : stmt.deliveriesOfWebhook.all(webhookId, limit)));
      return rows.map(rowToDelivery);
    },

    close: () => scheduler.close(),
  };
}
