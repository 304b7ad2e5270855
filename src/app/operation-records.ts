/**
 * Building and advancing operation records. Changes return a new record and leave `version`
 * alone: whoever commits it sets the next version (saveOperation, settleOperation, reconcile), so
 * several changes before one commit still bump it once.
 */
import type { Operation, OperationStep, OperationType } from '../domain/operation.js';
import { type AppDeps, isoNow, newId } from './deps.js';

/** A PENDING operation with a fresh id, no steps, and its deadline `operationDeadlineMs` from now. */
export function newOperation(
  deps: Pick<AppDeps, 'now' | 'operationDeadlineMs'>,
  type: OperationType,
  tenantId: string,
  input: Record<string, unknown>,
  correlationId: string | null,
): Operation {
  const now = isoNow(deps);
  return {
    operationId: newId(),
    type,
    status: 'PENDING',
    tenantId,
    input,
    steps: [],
    error: null,
    correlationId,
    createdAt: now,
    updatedAt: now,
    deadlineAt: new Date(deps.now() + deps.operationDeadlineMs).toISOString(),
    version: 1,
  };
}

/** `op` with `changes` applied and `updatedAt` now (the version is set by whoever commits it). */
export function withChanges(deps: Pick<AppDeps, 'now'>, op: Operation, changes: Partial<Operation>): Operation {
  return { ...op, ...changes, updatedAt: isoNow(deps) };
}

/** `op` with step `name` IN_PROGRESS from now (a new journal entry, or the same one started again). */
export function startStep(deps: Pick<AppDeps, 'now'>, op: Operation, name: string): Operation {
  const step: OperationStep = { name, status: 'IN_PROGRESS', startedAt: isoNow(deps), durationMs: null, error: null };
  return withChanges(deps, op, { status: 'IN_PROGRESS', steps: [...op.steps, step] });
}

/** Closes the last open step named `name`. */
export function endStep(
  deps: Pick<AppDeps, 'now'>,
  op: Operation,
  name: string,
  status: OperationStep['status'],
  error: string | null = null,
): Operation {
  const steps = op.steps.slice();
  for (let i = steps.length - 1; i >= 0; i--) {
    if (steps[i].name === name && steps[i].status === 'IN_PROGRESS') {
      steps[i] = { ...steps[i], status, error, durationMs: Math.max(0, deps.now() - Date.parse(steps[i].startedAt)) };
      break;
    }
  }
  return withChanges(deps, op, { steps });
}

/** The step the saga waits in until the runtime reports the target state through an event. */
export const AWAIT_RUNTIME_STEP = 'await-runtime';

/** True while the saga has handed over to the runtime and waits for its steady-state event. */
export function isAwaitingRuntime(op: Operation): boolean {
  const last = op.steps[op.steps.length - 1];
  return op.status === 'IN_PROGRESS' && last?.name === AWAIT_RUNTIME_STEP && last.status === 'IN_PROGRESS';
}
