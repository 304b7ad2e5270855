/**
 * Running undoable steps with a journal in the operation record: shared by the tenant saga and
 * the site processor. Each step is recorded as it starts and ends (with its duration); a step that
 * already succeeded is skipped when a message is redelivered; on failure, what was done is undone
 * newest first (the failed step too: it may have half run), each undo journaled as `undo:<step>`.
 */
import { errorMessage } from '../domain/errors.js';
import { findStep, isTerminal, type Operation } from '../domain/operation.js';
import type { RuntimeStep } from '../ports/runtime.js';
import { StoreConflictError } from '../ports/store.js';
import type { AppDeps } from './deps.js';
import { AWAIT_RUNTIME_STEP, endStep, startStep } from './operation-records.js';

/** Thrown when the operation was finished by someone else (deadline, operator) while we worked. */
export class OperationClosedError extends Error {}

/** Saves `next` over `prev`; if the stored operation was closed meanwhile, stops the caller. */
export async function saveOperation(deps: AppDeps, prev: Operation, next: Operation): Promise<Operation> {
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

export { errorMessage };

/**
 * A step still IN_PROGRESS when the operation is picked up again was cut off (the worker crashed
 * or was killed): record that, so the journal shows the retry instead of a step running forever.
 */
export async function closeInterruptedSteps(deps: AppDeps, op: Operation): Promise<Operation> {
  const open = op.steps.filter((s) => s.status === 'IN_PROGRESS' && s.name !== AWAIT_RUNTIME_STEP);
  let current = op;
  for (const s of open) current = await saveOperation(deps, current, endStep(deps, current, s.name, 'FAILED', 'interrupted: the worker stopped; resumed by a later delivery'));
  return current;
}

export interface StepsOutcome {
  op: Operation;
  /** Set when a step failed: "Step <name> failed: <message>". */
  error?: string;
  undoFailed?: boolean;
}

/**
 * Thrown instead of undoing when a step failed for a reason that may pass (a server down, a plugin
 * not published yet): the message is retried with backoff and, failing that, dead-lettered; after
 * the cause is fixed, `bbws dlq redrive` resumes the operation at the failed step.
 */
export class RetryLaterError extends Error {}

/**
 * Runs `steps` in order, journaling each in the operation (a step that SUCCEEDED before is
 * skipped, so a redelivery resumes); on a failure, undoes the steps done so far in reverse when
 * `undoOnFailure`, and reports the error. A failure `isPermanent` does not call for a retry.
 */
export async function runJournaledSteps(
  deps: AppDeps,
  op: Operation,
  steps: RuntimeStep[],
  options: { undoOnFailure: boolean; isPermanent?: (err: unknown) => boolean },
): Promise<StepsOutcome> {
  const log = deps.logger.child({ tenantId: op.tenantId, operationId: op.operationId, action: op.type, correlationId: op.correlationId, siteId: op.input.siteId });
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (findStep(op, step.name)?.status === 'SUCCEEDED') continue;
    op = await saveOperation(deps, op, startStep(deps, op, step.name));
    log.info({ status: 'IN_PROGRESS', step: step.name, progress: `${i + 1}/${steps.length}` }, `step ${step.name} started`);
    try {
      await step.run();
    } catch (err) {
      op = await saveOperation(deps, op, endStep(deps, op, step.name, 'FAILED', errorMessage(err)));
      log.error({ status: 'FAILED', step: step.name, err: errorMessage(err) }, `step ${step.name} failed`);
      const error = `Step ${step.name} failed: ${errorMessage(err)}`;
      if (options.isPermanent && !options.isPermanent(err)) throw new RetryLaterError(`${error} (will be retried)`);
      if (!options.undoOnFailure) return { op, error };
      let undoFailed = false;
      for (const done of steps.slice(0, i + 1).reverse()) {
        const name = `undo:${done.name}`;
        op = await saveOperation(deps, op, startStep(deps, op, name));
        try {
          await done.undo();
          op = await saveOperation(deps, op, endStep(deps, op, name, 'UNDONE'));
        } catch (undoErr) {
          undoFailed = true;
          op = await saveOperation(deps, op, endStep(deps, op, name, 'UNDO_FAILED', errorMessage(undoErr)));
        }
      }
      return { op, error, undoFailed };
    }
    op = await saveOperation(deps, op, endStep(deps, op, step.name, 'SUCCEEDED'));
  }
  return { op };
}
