/**
 * Day-2 changes to an instance: scale (PATCH …/instance), roll back to the previous spec, and
 * deprovision (DELETE …/tenants/{id}). Each records an operation and enqueues its work in the
 * same commit as the instance change; one operation per tenant at a time.
 */
import { parseLimits } from '../domain/tenant-limits.js';
import { BbwsError } from '../domain/errors.js';
import { isBackupOperation, isSiteOperation, type OperationType } from '../domain/operation.js';
import type { Instance, InstanceSpec, ProvisioningState } from '../domain/tenant.js';
import { StoreConflictError } from '../ports/store.js';
import { type AppDeps, isoNow } from './deps.js';
import { newOperation } from './operation-records.js';
import { provisioningMessage } from './operation-message.js';
import { validateDesiredCount } from './validate-resources.js';

export interface InstanceChangeResult {
  tenantId: string;
  operationId: string;
  provisioningState: ProvisioningState;
}

interface Change {
  type: OperationType;
  input: Record<string, unknown>;
  /** Returns the instance as it should be recorded now, or throws if the change is not allowed. */
  apply(instance: Instance): Instance;
}

async function loadInstance(deps: AppDeps, tenantId: string): Promise<Instance> {
  const instance = await deps.store.getInstance(tenantId);
  if (!instance) throw new BbwsError('TENANT_NOT_FOUND', undefined, { tenantId });
  return instance;
}

async function startChange(
  deps: AppDeps,
  tenantId: string,
  change: Change,
  correlationId: string | null,
  expectedVersion?: number,
): Promise<InstanceChangeResult> {
  const instance = await loadInstance(deps, tenantId);
  if (expectedVersion !== undefined && expectedVersion !== instance.version) {
    throw new BbwsError('VERSION_CONFLICT', undefined, { tenantId, expectedVersion, currentVersion: instance.version });
  }
  // Site and backup operations run beside instance changes; only one instance change at a time.
  const open = (await deps.store.listOpenOperations(tenantId)).filter((o) => !isSiteOperation(o) && !isBackupOperation(o));
  if (open.length > 0) throw new BbwsError('OPERATION_IN_PROGRESS', undefined, { tenantId, operationId: open[0].operationId });
  const next = { ...change.apply(instance), updatedAt: isoNow(deps), version: instance.version + 1 };
  const operation = newOperation(deps, change.type, tenantId, change.input, correlationId);
  try {
    await deps.store.commit([
      { kind: 'putInstance', instance: next, expectedVersion: instance.version },
      { kind: 'putOperation', operation, expectedVersion: null },
      { kind: 'enqueue', message: provisioningMessage(deps, operation) },
    ]);
  } catch (err) {
    if (err instanceof StoreConflictError) throw new BbwsError('VERSION_CONFLICT', undefined, { tenantId });
    throw err;
  }
  deps.logger.info({ tenantId, action: change.type, status: 'ACCEPTED', operationId: operation.operationId, correlationId }, 'instance change accepted');
  deps.metrics.increment('bbws_operations_started_total', { type: change.type });
  return { tenantId, operationId: operation.operationId, provisioningState: next.provisioningState };
}

function assertChangeable(instance: Instance, action: string): void {
  if (instance.provisioningState === 'DEPROVISIONED') {
    throw new BbwsError('INVALID_STATE', `The instance is deprovisioned; create the tenant again to ${action} it.`, {
      provisioningState: instance.provisioningState,
    });
  }
}

/**
 * PATCH /v1.0/tenants/{id}/instance {desiredCount?, limits?}: ACTIVE → SCALING → ACTIVE. `limits`
 * overrides per-tenant limits (domain/tenant-limits.ts; null resets one to its default).
 */
export function scaleInstance(deps: AppDeps, tenantId: string, body: { desiredCount?: unknown; limits?: unknown }, correlationId: string | null, expectedVersion?: number) {
  const count = body.desiredCount === undefined ? undefined : validateDesiredCount(body.desiredCount);
  // Checked before anything is recorded; applied over the instance's current overrides below.
  if (body.limits !== undefined) parseLimits(body.limits);
  if (count === undefined && body.limits === undefined) throw new BbwsError('VALIDATION_FAILED', 'Send desiredCount, limits or both.', { field: 'desiredCount' });
  return startChange(
    deps,
    tenantId,
    {
      type: 'SCALE_INSTANCE',
      input: { desiredCount: count, ...(body.limits !== undefined ? { limits: body.limits } : {}) },
      apply(instance) {
        assertChangeable(instance, 'scale');
        const desired = count ?? instance.spec.resources.desiredCount;
        const limits = body.limits === undefined ? instance.spec.limits : parseLimits(body.limits, instance.spec.limits ?? {});
        const spec: InstanceSpec = { ...instance.spec, resources: { ...instance.spec.resources, desiredCount: desired }, ...(limits && Object.keys(limits).length ? { limits } : { limits: undefined }), revision: instance.spec.revision + 1 };
        if (!spec.limits) delete spec.limits;
        return { ...instance, provisioningState: 'SCALING', workflowStatus: 'QUEUED', desiredCount: desired, spec, previousSpec: instance.spec };
      },
    },
    correlationId,
    expectedVersion,
  );
}

/** Rolls the instance back to its previous spec revision (seed 003 "rollback"). */
export function rollbackInstance(deps: AppDeps, tenantId: string, correlationId: string | null) {
  return startChange(
    deps,
    tenantId,
    {
      type: 'ROLLBACK_INSTANCE',
      input: {},
      apply(instance) {
        assertChangeable(instance, 'roll back');
        if (!instance.previousSpec) throw new BbwsError('INVALID_STATE', 'There is no previous revision to roll back to.', { revision: instance.spec.revision });
        const spec: InstanceSpec = { ...instance.previousSpec, revision: instance.spec.revision + 1 };
        return {
          ...instance,
          provisioningState: 'ROLLING_BACK',
          workflowStatus: 'QUEUED',
          desiredCount: spec.resources.desiredCount,
          spec,
          previousSpec: instance.spec,
        };
      },
    },
    correlationId,
  );
}

export type DeleteMode = 'soft' | 'hard';

/** `?mode=` of a tenant delete: `soft` (the default) or `hard`; anything else is VALIDATION_FAILED. */
export function parseDeleteMode(value: unknown): DeleteMode {
  if (value === undefined || value === 'soft') return 'soft';
  if (value === 'hard') return 'hard';
  throw new BbwsError('VALIDATION_FAILED', 'mode must be soft or hard.', { field: 'mode' });
}

/** DELETE /v1.0/tenants/{id}?mode=soft|hard → DEPROVISIONED when the runtime reports SERVICE_DELETED. */
export function deleteTenant(deps: AppDeps, tenantId: string, mode: DeleteMode, correlationId: string | null, expectedVersion?: number) {
  return startChange(
    deps,
    tenantId,
    {
      type: 'DELETE_TENANT',
      input: { mode },
      apply(instance) {
        if (instance.provisioningState === 'DEPROVISIONED' && mode === 'soft') {
          throw new BbwsError('INVALID_STATE', 'The instance is already deprovisioned.', { provisioningState: instance.provisioningState });
        }
        return { ...instance, workflowStatus: `DEPROVISION_${mode.toUpperCase()}_QUEUED` };
      },
    },
    correlationId,
    expectedVersion,
  );
}
