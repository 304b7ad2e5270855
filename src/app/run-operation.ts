/**
 * The provisioning saga (DESIGN.md): carries out an operation's runtime steps, journaling each
 * with its duration; on failure undoes what was done in reverse; then waits for the runtime's
 * steady-state event (WORKFLOW_RUNNING → ACTIVE). Safe to run again for the same operation
 * (at-least-once delivery): succeeded steps are skipped, a finished operation is left alone.
 */
import { findStep, isTerminal, type Operation } from '../domain/operation.js';
import { closeInterruptedSteps, OperationClosedError, runJournaledSteps, saveOperation } from './journal-steps.js';
import type { Instance } from '../domain/tenant.js';
import type { RuntimeStep } from '../ports/runtime.js';
import type { WorkerDeps } from './deps.js';
import { AWAIT_RUNTIME_STEP, startStep, withChanges } from './operation-records.js';
import { recordOutcome, settleOperation, targetStateOf } from './settle-operation.js';
import { updateInstance } from './update-record.js';

function stepsFor(deps: WorkerDeps, op: Operation, instance: Instance): RuntimeStep[] {
  switch (op.type) {
    case 'CREATE_TENANT':
      return deps.runtime.provisionSteps(instance.spec);
    case 'SCALE_INSTANCE':
    case 'ROLLBACK_INSTANCE':
      return deps.runtime.updateSteps(instance.previousSpec ?? instance.spec, instance.spec);
    case 'DELETE_TENANT':
      return deps.runtime.deprovisionSteps(instance.spec, op.input.mode === 'hard' ? 'hard' : 'soft');
    default:
      throw new Error(`${op.type} is not an instance operation`);
  }
}


/** Runs (or resumes) the operation. Returns the operation as stored at the end. */
export async function runOperation(deps: WorkerDeps, operationId: string): Promise<Operation | undefined> {
  let op = await deps.store.getOperation(operationId);
  if (!op || isTerminal(op)) return op;
  const instance = await deps.store.getInstance(op.tenantId);
  if (!instance) {
    return saveOperation(deps, op, withChanges(deps, op, { status: 'FAILED', error: 'The tenant no longer exists.' }));
  }
  try {
    op = await closeInterruptedSteps(deps, op);
    if (op.type === 'CREATE_TENANT') await markPhase(deps, op.tenantId, 'PROVISIONING', 'PROVISIONING_RESOURCES');
    const steps = stepsFor(deps, op, instance);
    // Deprovisioning goes forward only: a half-removed tenant is retried, not re-created.
    const outcome = await runJournaledSteps(deps, op, steps, { undoOnFailure: op.type !== 'DELETE_TENANT' });
    op = outcome.op;
    if (outcome.error) return await recordFailure(deps, op, outcome.error, outcome.undoFailed ?? false);
    return await awaitRuntime(deps, op);
  } catch (err) {
    if (err instanceof OperationClosedError) return deps.store.getOperation(operationId);
    throw err;
  }
}

/** Sets the instance's saga phase, unless an event already moved it on. */
async function markPhase(deps: WorkerDeps, tenantId: string, from: Instance['provisioningState'], workflowStatus: string, to = from) {
  await updateInstance(deps, tenantId, (cur) => (cur.provisioningState === from ? { patch: { provisioningState: to, workflowStatus } } : undefined));
}

/** After the runtime steps: COMMITTING → WORKFLOW_RUNNING, then wait for the runtime's event. */
async function awaitRuntime(deps: WorkerDeps, op: Operation): Promise<Operation> {
  if (op.type === 'CREATE_TENANT') {
    await markPhase(deps, op.tenantId, 'PROVISIONING', 'COMMITTING_SPEC', 'COMMITTING');
    await markPhase(deps, op.tenantId, 'COMMITTING', 'AWAITING_STEADY_STATE', 'WORKFLOW_RUNNING');
  }
  if (findStep(op, AWAIT_RUNTIME_STEP)?.status !== 'IN_PROGRESS') op = await saveOperation(deps, op, startStep(deps, op, AWAIT_RUNTIME_STEP));
  // The event may have been applied before the await step was recorded: look once more.
  const instance = await deps.store.getInstance(op.tenantId);
  if (instance) op = await settleOperation(deps, op, instance);
  deps.logger.info({ tenantId: op.tenantId, operationId: op.operationId, status: op.status, target: targetStateOf(op) }, 'waiting for the runtime');
  return op;
}

/** Records a failed operation on the operation and the instance (steps were undone already). */
async function recordFailure(deps: WorkerDeps, op: Operation, error: string, undoFailed: boolean): Promise<Operation> {
  const isUpdate = op.type === 'SCALE_INSTANCE' || op.type === 'ROLLBACK_INSTANCE';
  const lastError = undoFailed ? `${error} (undo incomplete: see operation ${op.operationId})` : error;
  await updateInstance(deps, op.tenantId, (cur) =>
    isUpdate && !undoFailed && cur.previousSpec
      ? // The old spec is back in place: the instance keeps serving; the error stays visible.
        { patch: { provisioningState: 'ACTIVE', workflowStatus: 'CHANGE_ROLLED_BACK', spec: cur.previousSpec, desiredCount: cur.previousSpec.resources.desiredCount, lastError } }
      : { patch: { provisioningState: 'FAILED', workflowStatus: 'STEP_FAILED', lastError } },
  );
  op = await saveOperation(deps, op, withChanges(deps, op, { status: 'FAILED', error: lastError }));
  recordOutcome(deps, op);
  return op;
}
