/**
 * The reconciler: fails operations past their deadline (seed 000 §9.1: "stuck in PROVISIONING for
 * > 15 minutes") with their instance, so nothing stays stuck silently; publishes queue depths;
 * drops expired messages, idempotency records and event ids.
 */
import { isBackupOperation, isSiteOperation, isTerminal } from '../domain/operation.js';
import { updateSite } from './sites/site-records.js';
import { StoreConflictError } from '../ports/store.js';
import type { AppDeps } from './deps.js';
import { withChanges } from './operation-records.js';
import { recordOutcome } from './settle-operation.js';
import { updateInstance } from './update-record.js';

const RETENTION_MS = 24 * 3600 * 1000;

export interface ReconcileReport {
  timedOut: string[];
  expiredMessages: number;
  pruned: number;
}

/**
 * One reconciler pass: fails operations past their deadline (and their instance), so nothing stays
 * IN_PROGRESS silently; returns what it changed.
 */
export async function reconcile(deps: AppDeps): Promise<ReconcileReport> {
  const now = deps.now();
  const timedOut: string[] = [];
  for (const op of await deps.store.listOpenOperations()) {
    if (Date.parse(op.deadlineAt) > now || isTerminal(op)) continue;
    const running = op.steps.filter((s) => s.status === 'IN_PROGRESS').map((s) => s.name);
    const error = `Deadline exceeded at ${op.deadlineAt}${running.length ? ` during ${running.join(', ')}` : ''}; inspect the operation's steps and retry.`;
    const failed = { ...withChanges(deps, op, { status: 'FAILED', error }), version: op.version + 1 };
    try {
      await deps.store.commit([{ kind: 'putOperation', operation: failed, expectedVersion: op.version }]);
    } catch (err) {
      if (err instanceof StoreConflictError) continue; // it moved meanwhile; look again next pass
      throw err;
    }
    if (isBackupOperation(op)) {
      // The backup's own record says what exists; neither the instance nor a site changed state.
    } else if (isSiteOperation(op)) {
      await updateSite(deps, op.tenantId, op.input.siteId as string, () => ({ patch: { status: 'FAILED', lastError: error } }));
    } else {
      await updateInstance(deps, op.tenantId, (cur) =>
        cur.provisioningState === 'ACTIVE' || cur.provisioningState === 'DEPROVISIONED'
          ? undefined
          : { patch: { provisioningState: 'FAILED', workflowStatus: 'DEADLINE_EXCEEDED', lastError: error } },
      );
    }
    recordOutcome(deps, failed);
    // Lambda's words for a job past its deadline, which seed 000 §3.3's query looks for.
    const seconds = Math.round((Date.parse(op.deadlineAt) - Date.parse(op.createdAt)) / 1000);
    deps.logger.error(
      { action: 'OPERATION_TIMEOUT', '@requestId': op.operationId, correlationId: op.correlationId ?? undefined, tenantId: op.tenantId, siteId: op.input.siteId, status: 'FAILED', errorCode: 'DEADLINE_EXCEEDED' },
      `Task timed out after ${seconds} seconds (operation ${op.operationId}, ${op.type})`,
    );
    timedOut.push(op.operationId);
  }
  let dlqMessages = 0;
  for (const def of deps.queue.definitions()) {
    const s = await deps.queue.stats(def.name);
    if (def.name === deps.queues.siteOperationsDlq) dlqMessages = s.visible + s.notVisible;
    deps.metrics.setGauge('bbws_queue_messages', s.visible, { queue: def.name, state: 'visible' });
    deps.metrics.setGauge('bbws_queue_messages', s.notVisible, { queue: def.name, state: 'not_visible' });
    deps.metrics.setGauge('bbws_queue_messages', s.delayed, { queue: def.name, state: 'delayed' });
    deps.metrics.setGauge('bbws_queue_oldest_message_age_seconds', s.oldestAgeSeconds, { queue: def.name });
  }
  // Seed 001: DLQMessages on the site operations DLQ must stay at 0.
  deps.metrics.setGauge('DLQMessages', dlqMessages, { queue: deps.queues.siteOperationsDlq });
  const expiredMessages = await deps.queue.expire();
  const pruned = await deps.store.prune(new Date(now - RETENTION_MS).toISOString());
  return { timedOut, expiredMessages, pruned };
}
