/**
 * Delivery scheduling of the webhook notifier: due PENDING deliveries are claimed (a lease in the
 * table, so two processes on one file never send one attempt twice), sent with a per-attempt
 * timeout, and their outcome recorded with the next attempt's time. The schedule lives in the
 * table (`next_attempt_at`), so it survives a restart; `now` is injectable for tests.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../ports/logger.js';
import type { Metrics } from '../../ports/metrics.js';
import type { SqliteDatabase } from '../sqlite/database.js';
import { postOnce } from './post-once.js';
import { NotPublicAddressError } from './public-address.js';
import { describeError, retryDelayMs, signWebhookBody, type WebhookRetryPolicy } from './webhook-signing.js';
import type { DeliveryRow, WebhookRow, WebhookStatements } from './webhooks-schema.js';

/** Added to the attempt timeout to form the lease: covers recording the result after the response. */
const LEASE_MARGIN_MS = 5_000;

export interface DeliverySchedulerOptions {
  db: SqliteDatabase;
  stmt: WebhookStatements;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  timeoutMs: number;
  retry: Required<WebhookRetryPolicy>;
  maxConcurrent: number;
  pollIntervalMs: number;
  closeTimeoutMs: number;
  /** The signing secret of a webhook (undefined: lost, and the delivery fails for good). */
  secretOf(webhook: WebhookRow): Promise<string | undefined>;
}

export interface DeliveryScheduler {
  /** Runs the scheduler at `atMs` (epoch ms) unless it is already due to run sooner. */
  wake(atMs: number): void;
  /** Stops scheduling; attempts in flight get `closeTimeoutMs`, then are aborted and given back. */
  close(): Promise<void>;
}

export function createDeliveryScheduler(options: DeliverySchedulerOptions): DeliveryScheduler {
  const { db, stmt, logger, metrics, now, timeoutMs, retry, maxConcurrent, pollIntervalMs, closeTimeoutMs, secretOf } = options;
  const iso = (ms: number) => new Date(ms).toISOString();
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

  return {
    wake,
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
