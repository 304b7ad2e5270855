/**
 * The notifications topic (`bbws-wp-notifications-<env>`, seed 001) as signed webhooks on this
 * host: subscriptions and a delivery log in the platform's SQLite file, HMAC-SHA256 signatures,
 * retries with exponential backoff and jitter. See `docs/webhooks.md` for what receivers see.
 *
 * Delivery is at least once: `publish` commits one PENDING delivery per matching subscription
 * (at most one per notification id and subscription) before it returns, then a scheduler in this process sends them. Because the schedule lives in
 * the table (`next_attempt_at`), deliveries survive a restart, and several processes on one file
 * share the work without sending one attempt twice (see the lease in `webhooks-schema.ts`).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { BbwsError, isDiskFull } from '../../domain/errors.js';
import { assertTenantId } from '../../domain/naming.js';
import type { Logger } from '../../ports/logger.js';
import type { Metrics } from '../../ports/metrics.js';
import { NOTIFICATION_TYPES, type Notification, type Notifier } from '../../ports/notifier.js';
import type { WebhookSubscription, WebhookSubscriptions } from '../../ports/webhook-subscriptions.js';
import type { Secrets } from '../../ports/secrets.js';
import { applyMigrations, isSqliteUnavailableError, type SqliteDatabase } from '../sqlite/database.js';
import { postOnce } from './post-once.js';
import { NotPublicAddressError, isNonPublicLiteral } from './public-address.js';
import { bareHost, normalizeNotificationTypes, validateWebhookUrl } from '../../domain/webhook.js';
import { WEBHOOK_MIGRATIONS, prepareWebhookStatements, rowToDelivery, rowToWebhook, type DeliveryRow, type WebhookRow } from './webhooks-schema.js';

export interface WebhookRetryPolicy {
  /** Delay before the 2nd attempt; doubles per attempt. Default 1000. */
  baseMs?: number;
  /** Attempts in all, the first included. Default 6 (waits of ~1, 2, 4, 8, 16 s). */
  maxAttempts?: number;
  /** Upper bound of one wait. Default 5 minutes. */
  maxDelayMs?: number;
}

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

/** Added to the attempt timeout to form the lease: covers recording the result after the response. */
const LEASE_MARGIN_MS = 5_000;
const MAX_ERROR_LENGTH = 500;

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

/** `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>"): the `X-BBWS-Signature` header. */
export function signWebhookBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Wait after attempt `attempt` (1-based) failed: baseMs·2^(attempt-1), ±20 % jitter so receivers
 * that came back up are not hit by every queued delivery in the same millisecond, capped.
 */
export function retryDelayMs(attempt: number, policy: Required<WebhookRetryPolicy>, random: () => number = Math.random): number {
  const exponential = policy.baseMs * 2 ** Math.min(attempt - 1, 30);
  return Math.round(Math.min(policy.maxDelayMs, exponential * (0.8 + 0.4 * random())));
}

/** An error as one short line (for errors that carry the useful part in `cause`, that part). */
function describeError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const text = cause ? [cause.code, cause.message].filter(Boolean).join(' ') : err instanceof Error ? err.message : String(err);
  return text.slice(0, MAX_ERROR_LENGTH);
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

  // ---- scheduler -------------------------------------------------------------------------------
  const inFlight = new Map<string, Promise<void>>();
  /** Aborts of the attempts in flight, called by close() when they outlast its bound. */
  const abortOnClose = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let closing = false;

  /** Runs the pump at `atMs` unless it is already due to run sooner. */
  function wake(atMs: number): void {
    if (closing || (timer && timerAt <= atMs)) return;
    if (timer) clearTimeout(timer);
    timerAt = atMs;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Number.POSITIVE_INFINITY;
      pump();
    }, Math.max(0, atMs - now()));
    // Never keep a process (a CLI command, a finished test) alive just to poll.
    timer.unref();
  }

  /** Starts every due attempt there is room for, then sleeps until the next one is due. */
  function pump(): void {
    if (closing) return;
    const at = now();
    try {
      stmt.failExhausted.run({ now: at, max_attempts: retry.maxAttempts, updated_at: iso(at) });
      let started = 0;
      if (inFlight.size < maxConcurrent) {
        for (const { delivery_id } of stmt.dueDeliveries.all(at, maxConcurrent - inFlight.size)) if (startAttempt(delivery_id, at)) started++;
      }
      metrics.setGauge('bbws_webhook_pending_deliveries', stmt.pendingCount.get() ?? 0);
      // Full: a finishing attempt wakes the pump. Otherwise sleep until the next due time, but no
      // longer than the poll interval, so deliveries published by another process are seen.
      if (inFlight.size >= maxConcurrent) return wake(at + pollIntervalMs);
      const next = stmt.nextDueAt.get() ?? null;
      wake(next !== null && next > at ? Math.min(next, at + pollIntervalMs) : started > 0 ? at : at + pollIntervalMs);
    } catch (err) {
      logger.error({ action: 'WEBHOOK_SCHEDULE', status: 'ERROR', err: describeError(err) }, 'webhook scheduler error');
      wake(at + pollIntervalMs);
    }
  }

  const claim = db.transaction((deliveryId: string, at: number): DeliveryRow | undefined => {
    const lease = { delivery_id: deliveryId, now: at, lease_until: at + timeoutMs + LEASE_MARGIN_MS, max_attempts: retry.maxAttempts, updated_at: iso(at) };
    if (stmt.claimAttempt.run(lease).changes !== 1) return undefined;
    const row = stmt.getDelivery.get(deliveryId)!;
    stmt.insertAttempt.run(deliveryId, row.attempt, iso(at));
    return row;
  });

  function startAttempt(deliveryId: string, at: number): boolean {
    const row = claim.immediate(deliveryId, at);
    if (!row) return false;
    const attempt = sendAttempt(row)
      .catch((err) => logger.error({ action: 'WEBHOOK_DELIVERY', deliveryId, status: 'ERROR', err: describeError(err) }, 'webhook attempt could not be recorded'))
      .finally(() => {
        inFlight.delete(deliveryId);
        wake(now());
      });
    inFlight.set(deliveryId, attempt);
    return true;
  }

  async function secretOf(webhook: WebhookRow): Promise<string | undefined> {
    if (webhook.secret !== null) return webhook.secret;
    const cached = secretCache.get(webhook.webhook_id);
    if (cached !== undefined || !secrets) return cached;
    const value = await secrets.get(secretName(webhook.webhook_id));
    if (value !== undefined) secretCache.set(webhook.webhook_id, value);
    return value;
  }

  const finish = db.transaction((row: DeliveryRow, result: { status: DeliveryRow['status']; statusCode: number | null; error: string | null; nextAt: number | null; at: number; durationMs: number }) => {
    stmt.finishAttempt.run({
      delivery_id: row.delivery_id,
      attempt: row.attempt,
      status: result.status,
      status_code: result.statusCode,
      error: result.error,
      next_attempt_at: result.nextAt,
      updated_at: iso(result.at),
    });
    stmt.finishAttemptLog.run({
      delivery_id: row.delivery_id,
      attempt: row.attempt,
      finished_at: iso(result.at),
      status_code: result.statusCode,
      error: result.error,
      duration_ms: Math.round(result.durationMs),
    });
  });

  const release = db.transaction((row: DeliveryRow) => {
    stmt.releaseAttempt.run({ delivery_id: row.delivery_id, attempt: row.attempt, now: now() });
    stmt.deleteAttemptLog.run(row.delivery_id, row.attempt);
  });

  /** One HTTP attempt for a claimed delivery, and its outcome recorded. */
  async function sendAttempt(row: DeliveryRow): Promise<void> {
    const startedAt = performance.now();
    const controller = new AbortController();
    let abortedByClose = false;
    const onClose = () => {
      abortedByClose = true;
      controller.abort();
    };
    abortOnClose.add(onClose);
    const timeout = setTimeout(() => controller.abort(), timeoutMs);
    let statusCode: number | null = null;
    let error: string | null = null;
    // A removed webhook or a lost secret will not come back: no point in retrying.
    let permanent = false;
    try {
      const webhook = stmt.getWebhook.get(row.webhook_id);
      const secret = webhook && (await secretOf(webhook));
      if (!webhook) [error, permanent] = ['webhook removed', true];
      else if (!secret) [error, permanent] = ['signing secret missing', true];
      else {
        // A fresh timestamp per attempt: receivers reject old timestamps, and a retry is not a replay.
        const timestamp = String(Math.floor(now() / 1000));
        statusCode = await postOnce(
          webhook.url,
          {
            'content-type': 'application/json',
            'user-agent': 'bbws-webhooks/1',
            'x-bbws-event': row.type,
            'x-bbws-delivery': row.delivery_id,
            'x-bbws-timestamp': timestamp,
            'x-bbws-signature': signWebhookBody(secret, timestamp, row.body),
          },
          row.body,
          { signal: controller.signal, publicOnly: webhook.public_only === 1 },
        );
        if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}${statusCode >= 300 && statusCode < 400 ? ' (redirects are not followed)' : ''}`;
      }
    } catch (err) {
      error = controller.signal.aborted && !abortedByClose ? `no response within ${timeoutMs} ms` : describeError(err);
      // A tenant's webhook aimed at a private address: retrying will not make it public.
      if (err instanceof NotPublicAddressError) permanent = true;
    } finally {
      clearTimeout(timeout);
      abortOnClose.delete(onClose);
    }
    // Interrupted by close(): give the attempt back so the next start sends it again right away.
    if (abortedByClose) return void release(row);

    const at = now();
    const durationMs = performance.now() - startedAt;
    const status = error === null ? 'DELIVERED' : permanent || row.attempt >= retry.maxAttempts ? 'FAILED' : 'PENDING';
    const nextAt = status === 'PENDING' ? at + retryDelayMs(row.attempt, retry) : null;
    finish(row, { status, statusCode, error, nextAt, at, durationMs });

    const fields = { action: 'WEBHOOK_DELIVERY', deliveryId: row.delivery_id, webhookId: row.webhook_id, tenantId: row.tenant_id, siteId: row.site_id, type: row.type, attempt: row.attempt, statusCode, status };
    metrics.increment('bbws_webhook_attempts_total', { type: row.type, outcome: status === 'PENDING' ? 'RETRY' : status });
    metrics.observe('bbws_webhook_attempt_duration_seconds', durationMs / 1000, { outcome: error === null ? 'ok' : 'error' });
    if (status === 'DELIVERED') logger.info(fields, `webhook ${row.type} delivered (attempt ${row.attempt})`);
    else if (status === 'PENDING') logger.warn({ ...fields, error, nextAttemptAt: iso(nextAt!) }, `webhook ${row.type} attempt ${row.attempt} failed: ${error}; retrying`);
    else logger.error({ ...fields, error }, `webhook ${row.type} delivery failed after ${row.attempt} attempts: ${error}`);
  }

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

    async close() {
      if (closing) return;
      closing = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const settled = Promise.allSettled([...inFlight.values()]);
      let bound: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([settled.then(() => true), new Promise<boolean>((resolve) => (bound = setTimeout(() => resolve(false), closeTimeoutMs)))]);
      clearTimeout(bound);
      if (!inTime) {
        // Still waiting on slow receivers: abort, and each attempt gives its lease back before we return.
        for (const abort of abortOnClose) abort();
        await settled;
      }
    },
  };
}
