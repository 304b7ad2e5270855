/**
 * Tables of the webhook notifier (migrations namespace `webhooks`) in the platform's shared SQLite
 * file, the statements on them, and the mapping between rows and the port's records.
 *
 * A delivery row holds the exact JSON body it sends, so every retry sends the same bytes, and
 * `next_attempt_at` (epoch ms), so PENDING deliveries survive a restart. `next_attempt_at` doubles
 * as a lease: claiming an attempt pushes it past the attempt's timeout, so a process that dies
 * mid-attempt leaves a delivery that becomes due again instead of one stuck forever, and two
 * processes on one file never send the same attempt twice.
 */
import { NOTIFICATION_TYPES, type NotificationType } from '../../domain/notification.js';
import type { WebhookDelivery, WebhookSubscription } from '../../ports/webhook-subscriptions.js';
import type { Migration, SqliteDatabase } from '../sqlite/database.js';

export const WEBHOOK_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-webhook-tables',
    sql: `
      CREATE TABLE webhooks (
        webhook_id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        types TEXT NOT NULL,          -- JSON array; [] means every type
        tenant_id TEXT,               -- NULL: every tenant (operator webhook)
        secret TEXT,                  -- NULL when the signing secret lives in the Secrets port
        created_at TEXT NOT NULL
      );
      CREATE INDEX webhooks_by_tenant ON webhooks (tenant_id);
      -- No foreign key to webhooks: the log outlives a removed webhook.
      CREATE TABLE webhook_deliveries (
        delivery_id TEXT PRIMARY KEY,
        webhook_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        type TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL,         -- PENDING, DELIVERED, FAILED
        attempt INTEGER NOT NULL,     -- attempts started so far
        status_code INTEGER,
        error TEXT,
        next_attempt_at INTEGER,      -- epoch ms; NULL once DELIVERED or FAILED
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
      CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at);
      CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (created_at);
      -- One row per attempt: the delivery log an operator reads when a receiver says "never got it".
      CREATE TABLE webhook_attempts (
        delivery_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status_code INTEGER,
        error TEXT,
        duration_ms INTEGER,
        PRIMARY KEY (delivery_id, attempt)
      );
    `,
  },
  {
    // Tenant webhooks may only call public addresses (public-address.ts). Which existing rows a
    // tenant-admin added is not recorded, so every tenant-scoped one is limited: the safe side.
    id: '002-webhook-public-only',
    sql: `
      ALTER TABLE webhooks ADD COLUMN public_only INTEGER NOT NULL DEFAULT 0;
      UPDATE webhooks SET public_only = 1 WHERE tenant_id IS NOT NULL;
    `,
  },
  {
    // publish is idempotent by notification id (the outbox relays an entry again after a crash).
    id: '003-webhook-delivery-per-event',
    sql: `CREATE UNIQUE INDEX webhook_deliveries_per_event ON webhook_deliveries (event_id, webhook_id);`,
  },
];

export interface WebhookRow {
  webhook_id: string;
  url: string;
  types: string;
  tenant_id: string | null;
  secret: string | null;
  created_at: string;
  /** 1: only public addresses may be called (added by a tenant-admin). */
  public_only: number;
}

export interface DeliveryRow {
  delivery_id: string;
  webhook_id: string;
  event_id: string;
  type: string;
  tenant_id: string;
  site_id: string;
  body: string;
  status: WebhookDelivery['status'];
  attempt: number;
  status_code: number | null;
  error: string | null;
  next_attempt_at: number | null;
  created_at: string;
  updated_at: string;
}

export const rowToWebhook = (r: WebhookRow): WebhookSubscription => ({
  webhookId: r.webhook_id,
  url: r.url,
  types: (JSON.parse(r.types) as string[]).filter((t): t is NotificationType => (NOTIFICATION_TYPES as readonly string[]).includes(t)),
  tenantId: r.tenant_id,
  publicOnly: r.public_only === 1,
  createdAt: r.created_at,
});

export const rowToDelivery = (r: DeliveryRow): WebhookDelivery => ({
  deliveryId: r.delivery_id,
  webhookId: r.webhook_id,
  type: r.type as NotificationType,
  attempt: r.attempt,
  status: r.status,
  statusCode: r.status_code,
  error: r.error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const webhookColumns = 'webhook_id, url, types, tenant_id, secret, created_at, public_only';
const deliveryColumns =
  'delivery_id, webhook_id, event_id, type, tenant_id, site_id, body, status, attempt, status_code, error, next_attempt_at, created_at, updated_at';

/** Every statement the notifier runs, prepared once. */
export function prepareWebhookStatements(db: SqliteDatabase) {
  return {
    insertWebhook: db.prepare<WebhookRow>(`INSERT INTO webhooks (${webhookColumns}) VALUES (@webhook_id, @url, @types, @tenant_id, @secret, @created_at, @public_only)`),
    getWebhook: db.prepare<[string], WebhookRow>(`SELECT ${webhookColumns} FROM webhooks WHERE webhook_id = ?`),
    allWebhooks: db.prepare<[], WebhookRow>(`SELECT ${webhookColumns} FROM webhooks ORDER BY created_at, webhook_id`),
    webhooksOfTenant: db.prepare<[string], WebhookRow>(`SELECT ${webhookColumns} FROM webhooks WHERE tenant_id = ? ORDER BY created_at, webhook_id`),
    operatorWebhooks: db.prepare<[], WebhookRow>(`SELECT ${webhookColumns} FROM webhooks WHERE tenant_id IS NULL ORDER BY created_at, webhook_id`),
    /** Subscriptions that may receive an event of this tenant; the type filter is applied in code. */
    webhooksForTenant: db.prepare<[string], WebhookRow>(`SELECT ${webhookColumns} FROM webhooks WHERE tenant_id IS NULL OR tenant_id = ?`),
    deleteWebhook: db.prepare<[string]>('DELETE FROM webhooks WHERE webhook_id = ?'),
    /** A removed webhook's pending deliveries end as FAILED (kept in the log), never sent again. */
    cancelDeliveries: db.prepare<{ webhook_id: string; updated_at: string }>(
      `UPDATE webhook_deliveries SET status = 'FAILED', error = 'webhook removed', next_attempt_at = NULL, updated_at = @updated_at
        WHERE webhook_id = @webhook_id AND status = 'PENDING'`,
    ),

    insertDelivery: db.prepare<DeliveryRow>(`INSERT INTO webhook_deliveries (${deliveryColumns}) VALUES (${deliveryColumns.split(', ').map((c) => `@${c}`).join(', ')}) ON CONFLICT DO NOTHING`),
    getDelivery: db.prepare<[string], DeliveryRow>(`SELECT ${deliveryColumns} FROM webhook_deliveries WHERE delivery_id = ?`),
    dueDeliveries: db.prepare<[number, number], Pick<DeliveryRow, 'delivery_id'>>(
      `SELECT delivery_id FROM webhook_deliveries WHERE status = 'PENDING' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`,
    ),
    nextDueAt: db.prepare<[], number | null>(`SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'PENDING'`).pluck(),
    /** Takes the lease on one attempt: succeeds for exactly one caller, and only while attempts remain. */
    claimAttempt: db.prepare<{ delivery_id: string; now: number; lease_until: number; max_attempts: number; updated_at: string }>(
      `UPDATE webhook_deliveries SET attempt = attempt + 1, next_attempt_at = @lease_until, updated_at = @updated_at
        WHERE delivery_id = @delivery_id AND status = 'PENDING' AND next_attempt_at <= @now AND attempt < @max_attempts`,
    ),
    /** A delivery whose last attempt was lost (process stopped mid-attempt) and has none left. */
    failExhausted: db.prepare<{ now: number; max_attempts: number; updated_at: string }>(
      `UPDATE webhook_deliveries SET status = 'FAILED', error = COALESCE(error, 'last attempt lost: process stopped'), next_attempt_at = NULL, updated_at = @updated_at
        WHERE status = 'PENDING' AND next_attempt_at <= @now AND attempt >= @max_attempts`,
    ),
    /** Records an attempt's outcome; the attempt guard keeps a cancelled or re-claimed delivery as it is. */
    finishAttempt: db.prepare<Pick<DeliveryRow, 'delivery_id' | 'status' | 'attempt' | 'status_code' | 'error' | 'next_attempt_at' | 'updated_at'>>(
      `UPDATE webhook_deliveries SET status = @status, status_code = @status_code, error = @error, next_attempt_at = @next_attempt_at, updated_at = @updated_at
        WHERE delivery_id = @delivery_id AND status = 'PENDING' AND attempt = @attempt`,
    ),
    /** Gives back an attempt interrupted by close(): due now, not counted. */
    releaseAttempt: db.prepare<{ delivery_id: string; attempt: number; now: number }>(
      `UPDATE webhook_deliveries SET attempt = attempt - 1, next_attempt_at = @now
        WHERE delivery_id = @delivery_id AND status = 'PENDING' AND attempt = @attempt`,
    ),
    listDeliveries: db.prepare<[number], DeliveryRow>(`SELECT ${deliveryColumns} FROM webhook_deliveries ORDER BY created_at DESC, rowid DESC LIMIT ?`),
    deliveriesOfWebhook: db.prepare<[string, number], DeliveryRow>(
      `SELECT ${deliveryColumns} FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?`,
    ),
    pendingCount: db.prepare<[], number>(`SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'PENDING'`).pluck(),

    insertAttempt: db.prepare<[string, number, string]>('INSERT OR REPLACE INTO webhook_attempts (delivery_id, attempt, started_at) VALUES (?, ?, ?)'),
    finishAttemptLog: db.prepare<{ delivery_id: string; attempt: number; finished_at: string; status_code: number | null; error: string | null; duration_ms: number }>(
      `UPDATE webhook_attempts SET finished_at = @finished_at, status_code = @status_code, error = @error, duration_ms = @duration_ms
        WHERE delivery_id = @delivery_id AND attempt = @attempt`,
    ),
    deleteAttemptLog: db.prepare<[string, number]>('DELETE FROM webhook_attempts WHERE delivery_id = ? AND attempt = ?'),
  };
}

export type WebhookStatements = ReturnType<typeof prepareWebhookStatements>;
