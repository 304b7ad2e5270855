/**
 * The provisioning saga (DESIGN.md): carries out an operation's runtime steps, journaling each
 * with its duration; on failure undoes what was done in reverse; then waits for the runtime's
 * steady-state event (WORKFLOW_RUNNING → ACTIVE). Safe to run again for the same operation
 * (at-least-once delivery): succeeded steps are skipped, a finished operation is left alone.
 */
import { findStep, isTerminal, type Operation } from '../domain/operation.js';
import type { Instance } from '../domain/tenant.js';
import type { RuntimeStep } from '../ports/runtime.js';
import { StoreConflictError } from '../ports/store.js';
import type { WorkerDeps } from './deps.js';
import { AWAIT_RUNTIME_STEP, endStep, startStep, withChanges } from './operation-records.js';
import { recordOutcome, settleOperation, targetStateOf } from './settle-operation.js';
import { updateInstance } from './update-instance.js';

/** Thrown when the operation was finished by someone else (deadline, operator) while we worked. */
class OperationClosedError extends Error {}

/** Saves `next` over `prev`; if the stored operation was closed meanwhile, stops the saga. */
async function saveOperation(deps: WorkerDeps, prev: Operation, next: Operation): Promise<Operation> {
  const record = { ...next, version: prev.version + 1 };
  try {
    await deps.store.commit([{ kind: 'putOperation', operation: record, expectedVersion: prev.version }]);
    return record;
  } catch (err) {
    if (!(err instanceof StoreConflictError)) throw err;
    const stored = await deps.store.getOperation(prev.operationId);
    if (!stored || isTerminal(stored)) throw new OperationClosedError();
    throw err;
  }
}

function stepsFor(deps: WorkerDeps, op: Operation, instance: Instance): RuntimeStep[] {
  switch (op.type) {
    case 'CREATE_TENANT':
      return deps.runtime.provisionSteps(instance.spec);
    case 'SCALE_INSTANCE':
    case 'ROLLBACK_INSTANCE':
      return deps.runtime.updateSteps(instance.previousSpec ?? instance.spec, instance.spec);
    case 'DELETE_TENANT':
      return deps.runtime.deprovisionSteps(instance.spec, op.input.mode === 'hard' ? 'hard' : 'soft');
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs (or resumes) the operation. Returns the operation as stored at the end. */
export async function runOperation(deps: WorkerDeps, operationId: string): Promise<Operation | undefined> {
  let op = await deps.store.getOperation(operationId);
  if (!op || isTerminal(op)) return op;
  const log = deps.logger.child({ tenantId: op.tenantId, operationId, action: op.type, correlationId: op.correlationId });
  const instance = await deps.store.getInstance(op.tenantId);
  if (!instance) {
    return saveOperation(deps, op, withChanges(deps, op, { status: 'FAILED', error: 'The tenant no longer exists.' }));
  }
  try {
    op = await closeInterruptedSteps(deps, op);
    if (op.type === 'CREATE_TENANT') await markPhase(deps, op.tenantId, 'PROVISIONING', 'PROVISIONING_RESOURCES');
    const steps = stepsFor(deps, op, instance);
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      if (findStep(op, step.name)?.status === 'SUCCEEDED') continue;
      op = await saveOperation(deps, op, startStep(deps, op, step.name));
      log.info({ status: 'IN_PROGRESS', step: step.name, progress: `${i + 1}/${steps.length}` }, `step ${step.name} started`);
      try {
        await step.run();
      } catch (err) {
        op = await saveOperation(deps, op, endStep(deps, op, step.name, 'FAILED', message(err)));
        log.error({ status: 'FAILED', step: step.name, err: message(err) }, `step ${step.name} failed`);
        return await compensate(deps, op, steps.slice(0, i + 1), `Step ${step.name} failed: ${message(err)}`);
      }
      op = await saveOperation(deps, op, endStep(deps, op, step.name, 'SUCCEEDED'));
    }
    return await awaitRuntime(deps, op);
  } catch (err) {
    if (err instanceof OperationClosedError) return deps.store.getOperation(operationId);
    throw err;
  }
}

/**
 * A step still IN_PROGRESS when the operation is picked up again was cut off (the worker crashed
 * or was killed): record that, so the journal shows the retry instead of a step running forever.
 */
async function closeInterruptedSteps(deps: WorkerDeps, op: Operation): Promise<Operation> {
  const open = op.steps.filter((s) => s.status === 'IN_PROGRESS' && s.name !== AWAIT_RUNTIME_STEP);
  let current = op;
  for (const s of open) current = await saveOperation(deps, current, endStep(deps, current, s.name, 'FAILED', 'interrupted: the worker stopped; resumed by a later delivery'));
  return current;
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

/** Undoes `done` in reverse, records the failure on the operation and the instance. */
async function compensate(deps: WorkerDeps, op: Operation, done: RuntimeStep[], error: string): Promise<Operation> {
  let undoFailed = false;
  // Deprovisioning goes forward only: a half-removed tenant is retried, not re-created.
  if (op.type !== 'DELETE_TENANT') {
    for (const step of [...done].reverse()) {
      const name = `undo:${step.name}`;
      op = await saveOperation(deps, op, startStep(deps, op, name));
      try {
        await step.undo();
        op = await saveOperation(deps, op, endStep(deps, op, name, 'UNDONE'));
      } catch (err) {
        undoFailed = true;
        op = await saveOperation(deps, op, endStep(deps, op, name, 'UNDO_FAILED', message(err)));
      }
    }
  }
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
