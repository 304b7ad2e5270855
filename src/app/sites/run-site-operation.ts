/**
 * The site processor (seed 001 "async-processor"): carries out a site operation from the site
 * queues with a journal of steps, undoing them on failure (deletion goes forward only), then
 * records the outcome on the site and the operation with its notification (one commit), and counts
 * seed 001's metrics. Safe under redelivery: finished operations are left alone, succeeded steps skipped.
 */
import { isTerminal, type Operation } from '../../domain/operation.js';
import type { Site, SiteStatus } from '../../domain/site.js';
import type { NotificationType } from '../../domain/notification.js';
import { StoreConflictError, type Write } from '../../ports/store.js';
import { closeInterruptedSteps, errorMessage, OperationClosedError, RetryLaterError, runJournaledSteps, saveOperation } from '../journal-steps.js';
import { BbwsError } from '../../domain/errors.js';
import { withChanges } from '../operation-records.js';
import { recordOutcome } from '../settle-operation.js';
import { wordpressOf, type SiteDeps } from './site-deps.js';
import { siteNotification, siteView, updateSite } from './site-records.js';
import { stepsForSiteOperation } from './site-steps.js';

/**
 * Failures the caller caused (a bad template, a plugin that fails vetting, a host name taken) are
 * final: undo and FAILED. Anything else — a server down, a plugin or template an operator has yet
 * to publish — is retried, then dead-lettered, and resumes after `bbws dlq redrive`.
 */
export function isPermanentFailure(err: unknown): boolean {
  if (!(err instanceof BbwsError)) return false;
  if (err.code === 'PLUGIN_NOT_FOUND' || err.code === 'TEMPLATE_NOT_FOUND') return false;
  return err.status < 500;
}

function outcomeFor(op: Operation, ok: boolean): { status: SiteStatus; notify: NotificationType | null } {
  if (op.type === 'DELETE_SITE') return ok ? { status: 'DELETED', notify: 'site.deleted' } : { status: 'FAILED', notify: 'site.failed' };
  if (op.type === 'CREATE_SITE' || op.type === 'CLONE_SITE') return ok ? { status: 'ACTIVE', notify: 'site.created' } : { status: 'FAILED', notify: 'site.failed' };
  // A failed update was undone: the site keeps serving as before, the error stays visible.
  return { status: 'ACTIVE', notify: ok ? null : 'site.failed' };
}

export async function runSiteOperation(deps: SiteDeps, operationId: string): Promise<Operation | undefined> {
  let op = await deps.store.getOperation(operationId);
  if (!op || isTerminal(op)) return op;
  const siteId = op.input.siteId as string;
  const site = await deps.store.getSite(op.tenantId, siteId);
  if (!site) return saveOperation(deps, op, withChanges(deps, op, { status: 'FAILED', error: 'The site record is gone.' }));
  const wp = wordpressOf(deps);
  const installed: Array<{ slug: string; version: string }> = [];
  try {
    op = await closeInterruptedSteps(deps, op);
    let error: string | undefined;
    let undoFailed = false;
    try {
      const steps = await stepsForSiteOperation(deps, wp, op, site, installed);
      const outcome = await runJournaledSteps(deps, op, steps, { undoOnFailure: op.type !== 'DELETE_SITE', isPermanent: isPermanentFailure });
      op = outcome.op;
      error = outcome.error;
      undoFailed = outcome.undoFailed ?? false;
    } catch (err) {
      if (err instanceof OperationClosedError || err instanceof RetryLaterError) throw err;
      error = errorMessage(err); // planning the steps failed (e.g. the source of a clone is gone)
    }
    const { status, notify } = outcomeFor(op, !error);
    const lastError = error ? (undoFailed ? `${error} (undo incomplete: see operation ${op.operationId})` : error) : null;
    const running = op;
    op = await finishSiteOperation(deps, running, withChanges(deps, running, error ? { status: 'FAILED', error: lastError } : { status: 'SUCCEEDED' }), siteId, {
      patch: (cur) => ({ status: undoFailed ? 'FAILED' : status, lastError, plugins: mergePlugins(cur, installed) }),
      notify: notify && ((updated) => siteNotification(deps, notify, updated, { operationId: running.operationId, operationType: running.type, site: siteView(deps, updated), error: lastError })),
    });
    recordOutcome(deps, op);
    recordSiteMetrics(deps, op);
    return op;
  } catch (err) {
    if (err instanceof OperationClosedError) return deps.store.getOperation(operationId);
    if (err instanceof RetryLaterError) deps.logger.warn({ tenantId: op.tenantId, siteId, operationId, action: op.type, status: 'RETRY' }, err.message);
    throw err;
  }
}

/**
 * Ends the operation in one commit with the site's outcome and its notification (an outbox
 * entry): a crash before the commit reruns the operation, a crash after it leaves nothing undone,
 * and the notification cannot be lost between the two. With the site record gone, only the
 * operation ends. Returns the stored operation.
 */
async function finishSiteOperation(
  deps: SiteDeps,
  running: Operation,
  finished: Operation,
  siteId: string,
  outcome: { patch: (current: Site) => Partial<Site>; notify: ((updated: Site) => Write) | null },
): Promise<Operation> {
  const record: Operation = { ...finished, version: running.version + 1 };
  try {
    const updated = await updateSite(deps, running.tenantId, siteId, (current) => ({
      patch: outcome.patch(current),
      writes: (next) => [{ kind: 'putOperation', operation: record, expectedVersion: running.version }, ...(outcome.notify ? [outcome.notify(next)] : [])],
    }));
    return updated ? record : await saveOperation(deps, running, finished);
  } catch (err) {
    // As saveOperation: someone else closed the operation (a retry, an operator) while this ran.
    if (err instanceof StoreConflictError && err.which === 'operation') {
      const stored = await deps.store.getOperation(running.operationId);
      if (!stored || isTerminal(stored)) throw new OperationClosedError();
    }
    throw err;
  }
}

function mergePlugins(site: Site, installed: Array<{ slug: string; version: string }>): Site['plugins'] {
  const bySlug = new Map(site.plugins.map((p) => [p.slug, p]));
  for (const p of installed) bySlug.set(p.slug, { slug: p.slug, version: p.version, active: true });
  return [...bySlug.values()];
}

/** Seed 001's metric names: SiteCreated, SiteCreationFailed, SiteCreationDuration. */
function recordSiteMetrics(deps: SiteDeps, op: Operation): void {
  if (op.type !== 'CREATE_SITE' && op.type !== 'CLONE_SITE') return;
  if (op.status === 'SUCCEEDED') {
    deps.metrics.increment('SiteCreated', { type: op.type });
    deps.metrics.observe('SiteCreationDuration', (Date.parse(op.updatedAt) - Date.parse(op.createdAt)) / 1000, { type: op.type });
  } else {
    deps.metrics.increment('SiteCreationFailed', { type: op.type });
  }
}
