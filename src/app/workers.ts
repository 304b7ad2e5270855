/**
 * The background roles of the platform: the provisioning worker (saga), the ECS event worker and
 * the reconciler. Each runs until its signal aborts.
 */
import { parseEcsEvent, handleEcsEvent } from './handle-ecs-event.js';
import { consumeQueue } from './consume-queue.js';
import type { AppDeps, WorkerDeps } from './deps.js';
import { parseOperationMessage } from './operation-message.js';
import { runOperation } from './run-operation.js';
import { reconcile } from './reconcile.js';
import { errorMessage } from './journal-steps.js';
import { relayOutbox, type OutboxRelayDeps } from './relay-outbox.js';
import type { SiteDeps } from './sites/site-deps.js';
import { removeExpiredPreviews, runSiteCron, syncPluginBlocklist } from './sites/site-housekeeping.js';
import { runSiteOperation } from './sites/run-site-operation.js';
import type { BackupDeps } from './backups/backup-deps.js';
import { runBackupSchedulePass } from './backups/backup-schedule.js';
import { runBackupOperation } from './backups/run-backup-operation.js';
import type { AuditLog } from '../ports/audit.js';
import type { Logger } from '../ports/logger.js';

interface OperationConsumerOptions {
  concurrency?: number;
  leaseSeconds?: number;
}

/** Consumes `{operationId}` messages from one queue and carries each operation out with `run`. */
function consumeOperations(deps: AppDeps, queueName: string, signal: AbortSignal, options: OperationConsumerOptions & { concurrency: number }, run: (operationId: string) => Promise<unknown>): Promise<void> {
  return consumeQueue({
    queue: deps.queue,
    queueName,
    logger: deps.logger,
    metrics: deps.metrics,
    concurrency: options.concurrency,
    leaseSeconds: options.leaseSeconds,
    signal,
    async handle(message) {
      const body = parseOperationMessage(message.body);
      // A message we cannot read would fail forever: let it go to the DLQ after its retries.
      if (!body) throw new Error(`unreadable operation message ${message.messageId} on ${queueName}`);
      await run(body.operationId);
    },
  });
}

/** Carries out operations from the provisioning queue, many tenants in parallel. */
export function runProvisioningWorker(deps: WorkerDeps, signal: AbortSignal, options: OperationConsumerOptions = {}): Promise<void> {
  return consumeOperations(deps, deps.queues.tenantProvisioning, signal, { ...options, concurrency: options.concurrency ?? 8 }, (id) => runOperation(deps, id));
}

/**
 * Applies ECS events from the events queue (the runtime's reports, and events that failed when
 * posted to the API). Failures are retried, then land in `bbws-ecs-events-dlq-<env>`.
 */
export function runEventWorker(deps: AppDeps, signal: AbortSignal, concurrency = 4): Promise<void> {
  return consumeQueue({
    queue: deps.queue,
    queueName: deps.queues.ecsEvents,
    logger: deps.logger,
    metrics: deps.metrics,
    concurrency,
    signal,
    async handle(message) {
      await handleEcsEvent(deps, parseEcsEvent(JSON.parse(message.body)));
    },
  });
}

/** Runs the reconciler every `intervalMs` until aborted. */
export async function runReconciler(deps: AppDeps, signal: AbortSignal, intervalMs = 10_000): Promise<void> {
  while (!signal.aborted) {
    try {
      await reconcile(deps);
    } catch (err) {
      deps.logger.error({ action: 'RECONCILE', err: errorMessage(err) }, 'reconcile pass failed');
    }
    await sleep(intervalMs, signal);
  }
}

/** The site processor: one consumer per site queue (creation, update, deletion); failures retry, then dead-letter. */
export async function runSiteWorkers(deps: SiteDeps, signal: AbortSignal, options: OperationConsumerOptions = {}): Promise<void> {
  const queues = [deps.queues.siteCreation, deps.queues.siteUpdate, deps.queues.siteDeletion];
  await Promise.all(queues.map((q) => consumeOperations(deps, q, signal, { ...options, concurrency: options.concurrency ?? 4 }, (id) => runSiteOperation(deps, id))));
}

/**
 * The backup worker: one backup operation at a time (a dump and a snapshot already keep both
 * cores of a small host busy). Failures retry, then land in `bbws-backups-dlq-<env>`.
 */
export function runBackupWorker(deps: BackupDeps, signal: AbortSignal, options: OperationConsumerOptions = {}): Promise<void> {
  return consumeOperations(deps, deps.queues.backups, signal, { ...options, concurrency: options.concurrency ?? 1 }, (id) => runBackupOperation(deps, id));
}

/** The backup schedule (BBWS_BACKUP_SCHEDULE): a pass every `intervalMs` until aborted. */
export async function runBackupScheduler(deps: BackupDeps, signal: AbortSignal, intervalMs = 60_000): Promise<void> {
  while (!signal.aborted) {
    try {
      await runBackupSchedulePass(deps);
    } catch (err) {
      deps.logger.error({ action: 'BACKUP_SCHEDULE', err: err instanceof Error ? err.message : String(err) }, 'backup schedule pass failed');
    }
    await sleep(intervalMs, signal);
  }
}

/** Expired previews every pass, WP-Cron every `cronIntervalMs`, until aborted. */
export async function runSiteHousekeeping(deps: SiteDeps, signal: AbortSignal, intervalMs = 10_000, cronIntervalMs = 60_000): Promise<void> {
  let lastCron = 0;
  while (!signal.aborted) {
    try {
      await removeExpiredPreviews(deps);
      if (deps.now() - lastCron >= cronIntervalMs) {
        lastCron = deps.now();
        // Also catches tenants created since the last pass, and changed policy files.
        await syncPluginBlocklist(deps);
        await runSiteCron(deps);
      }
    } catch (err) {
      deps.logger.error({ action: 'SITE_HOUSEKEEPING', err: errorMessage(err) }, 'site housekeeping pass failed');
    }
    await sleep(intervalMs, signal);
  }
}

/**
 * Relays the outbox every `intervalMs` until aborted (every process that commits notifications
 * runs one; two relays on one store publish an entry twice at worst, which the Notifier absorbs).
 */
export async function runOutboxRelay(deps: OutboxRelayDeps, signal: AbortSignal, intervalMs = 200): Promise<void> {
  while (!signal.aborted) {
    try {
      await relayOutbox(deps);
    } catch (err) {
      deps.logger.error({ action: 'OUTBOX_RELAY', status: 'ERROR', err: errorMessage(err) }, 'outbox relay pass failed');
    }
    await sleep(intervalMs, signal);
  }
}

/**
 * Audit retention (seed 002: one year by default, BBWS_AUDIT_RETENTION_DAYS): at start and then
 * daily, entries older than the period are expired from the audit log (an AUDIT_EXPIRED entry says so).
 */
export async function runAuditRetention(deps: { audit: AuditLog; logger: Logger; now: () => number }, retentionDays: number, signal: AbortSignal, intervalMs = 86_400_000): Promise<void> {
  while (!signal.aborted) {
    const before = new Date(deps.now() - retentionDays * 86_400_000).toISOString();
    try {
      const removed = deps.audit.expire(before);
      if (removed > 0) deps.logger.info({ action: 'AUDIT_EXPIRED', status: 'OK', removed, before }, `audit log: ${removed} entries older than ${retentionDays} days expired`);
    } catch (err) {
      deps.logger.error({ action: 'AUDIT_EXPIRED', status: 'ERROR', err: errorMessage(err) }, 'audit retention pass failed; retried tomorrow');
    }
    await sleep(intervalMs, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}
