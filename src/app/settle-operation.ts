/**
 * Finishes an operation that waits for the runtime (the `await-runtime` step) once the instance
 * reaches the state the operation was after, or FAILED. Called by the saga after it starts waiting
 * and by the event handler after it applies an event, so neither can miss the other's write.
 */
import type { Operation } from '../domain/operation.js';
import type { Instance, ProvisioningState } from '../domain/tenant.js';
import { StoreConflictError } from '../ports/store.js';
import type { AppDeps } from './deps.js';
import { AWAIT_RUNTIME_STEP, endStep, isAwaitingRuntime, withChanges } from './operation-records.js';
import { isHardDelete, releaseTenantNames } from './release-names.js';

/** States in which an awaiting operation finishes: its target (ACTIVE or DEPROVISIONED), or FAILED. */
export const FINISHING_STATES: readonly ProvisioningState[] = ['ACTIVE', 'DEPROVISIONED', 'FAILED'];

/**
 * The instance state that ends an operation waiting on the runtime: DEPROVISIONED for a delete,
 * ACTIVE otherwise.
 */
export function targetStateOf(op: Operation): ProvisioningState {
  return op.type === 'DELETE_TENANT' ? 'DEPROVISIONED' : 'ACTIVE';
}

/** Settles every open operation of the instance's tenant that waits on the runtime. */
export async function settleAwaitingOperations(deps: AppDeps, instance: Instance): Promise<void> {
  const open = await deps.store.listOpenOperations(instance.tenantId);
  for (const op of open) await settleOperation(deps, op, instance);
}

/**
 * Ends an operation waiting on the runtime once the instance reached its target state (SUCCEEDED)
 * or FAILED; retries on a conflict. Returns the operation as stored afterwards.
 */
export async function settleOperation(deps: AppDeps, op: Operation, instance: Instance): Promise<Operation> {
  let current: Operation | undefined = op;
  for (let attempt = 0; attempt < 8 && current; attempt++) {
    if (!isAwaitingRuntime(current)) return current;
    const target = targetStateOf(current);
    let next: Operation;
    if (instance.provisioningState === target) {
      next = withChanges(deps, endStep(deps, current, AWAIT_RUNTIME_STEP, 'SUCCEEDED'), { status: 'SUCCEEDED' });
    } else if (instance.provisioningState === 'FAILED' && current.type !== 'DELETE_TENANT') {
      // A delete starts from any state, FAILED included: only its own steps (journaled by the
      // saga) can fail it, never the failure it was asked to clean up.
      const error = instance.lastError ?? 'The runtime reported a failure.';
      next = withChanges(deps, endStep(deps, current, AWAIT_RUNTIME_STEP, 'FAILED', error), { status: 'FAILED', error });
    } else {
      return current;
    }
    next = { ...next, version: current.version + 1 };
    try {
      await deps.store.commit([{ kind: 'putOperation', operation: next, expectedVersion: current.version }]);
      recordOutcome(deps, next);
      if (next.status === 'SUCCEEDED' && isHardDelete(next)) await releaseTenantNames(deps, next.tenantId);
      return next;
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err;
      current = await deps.store.getOperation(op.operationId);
    }
  }
  return current ?? op;
}

/**
 * Counts and logs a finished operation (bbws_operations_finished_total,
 * bbws_operation_duration_seconds).
 */
export function recordOutcome(deps: AppDeps, op: Operation): void {
  const durationMs = Date.parse(op.updatedAt) - Date.parse(op.createdAt);
  deps.metrics.increment('bbws_operations_finished_total', { type: op.type, status: op.status });
  deps.metrics.observe('bbws_operation_duration_seconds', durationMs / 1000, { type: op.type, status: op.status });
  const log = op.status === 'FAILED' ? deps.logger.error.bind(deps.logger) : deps.logger.info.bind(deps.logger);
  log(
    { tenantId: op.tenantId, operationId: op.operationId, action: op.type, status: op.status, correlationId: op.correlationId, durationMs, error: op.error },
    `operation ${op.status.toLowerCase()}`,
  );
}
