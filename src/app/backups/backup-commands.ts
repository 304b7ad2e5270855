/**
 * Asking for backup work (docs/backups.md): create, verify, restore in place and undo a restore.
 * Each records an operation and enqueues it on the backups queue in one commit; the backup worker
 * (run-backup-operation.ts) carries it out. Reads (list, get) answer from the catalog directly.
 *
 * Tenant-admins reach only their own tenant's backups: anything else is 404, as if it did not
 * exist. One backup operation at a time per tenant.
 */
import { assertTenantAccess, canAccessTenant, type Principal } from '../../domain/auth.js';
import { assertBackupId, BACKUP_TYPES, isBackupId, newBackupId, type BackupRecord, type BackupType } from '../../domain/backup.js';
import { BbwsError } from '../../domain/errors.js';
import { isBackupOperation, type BackupOperationType, type Operation } from '../../domain/operation.js';
import type { BackupFilter } from '../../ports/backups.js';
import { operationMessage } from '../operation-message.js';
import { newOperation } from '../operation-records.js';
import { loadSite } from '../sites/site-records.js';
import type { BackupDeps } from './backup-deps.js';

export interface BackupAccepted {
  operationId: string;
  backupId: string;
  status: string;
}

/** A record as the API shows it: host paths are the operator's business, not the tenant's. */
export function backupView(record: BackupRecord, principal: Principal | null) {
  const { paths, ...rest } = record;
  return principal && principal.role !== 'platform-admin' ? rest : { ...rest, paths };
}

async function assertNoBackupOperation(deps: BackupDeps, tenantId: string): Promise<void> {
  const open = (await deps.store.listOpenOperations(tenantId)).filter(isBackupOperation);
  if (open.length) throw new BbwsError('OPERATION_IN_PROGRESS', `Backup operation ${open[0].operationId} (${open[0].type}) is still running for this tenant; wait for it (bbws operations get ${open[0].operationId} --wait).`, { operationId: open[0].operationId });
}

export async function assertActiveTenant(deps: BackupDeps, tenantId: string): Promise<void> {
  const instance = await deps.store.getInstance(tenantId);
  if (!instance) throw new BbwsError('TENANT_NOT_FOUND', undefined, { tenantId });
  if (instance.provisioningState !== 'ACTIVE' && instance.provisioningState !== 'SCALING')
    throw new BbwsError('INVALID_STATE', `The tenant's instance is ${instance.provisioningState}; backups and restores need it ACTIVE.`, { provisioningState: instance.provisioningState });
}

export async function enqueueBackupOperation(deps: BackupDeps, type: BackupOperationType, tenantId: string, input: Record<string, unknown>, correlationId: string | null): Promise<BackupAccepted> {
  const operation = await enqueueOnBackupsQueue(deps, type, tenantId, input, correlationId);
  return { operationId: operation.operationId, backupId: input.backupId as string, status: operation.status };
}

/** Records an operation of the backups queue and enqueues it, in one commit; one at a time per tenant. */
export async function enqueueOnBackupsQueue(deps: BackupDeps, type: BackupOperationType, tenantId: string, input: Record<string, unknown>, correlationId: string | null): Promise<Operation> {
  await assertNoBackupOperation(deps, tenantId);
  const operation = newOperation(deps, type, tenantId, input, correlationId);
  await deps.store.commit([
    { kind: 'putOperation', operation, expectedVersion: null },
    { kind: 'enqueue', message: operationMessage(deps.queues.backups, operation) },
  ]);
  deps.logger.info({ tenantId, siteId: input.siteId ?? null, action: type, status: 'ACCEPTED', operationId: operation.operationId, backupId: input.backupId, correlationId }, 'backup operation accepted');
  deps.metrics.increment('bbws_operations_started_total', { type });
  return operation;
}

function parseType(value: unknown): BackupType {
  if (value === undefined) return 'full';
  if (!(BACKUP_TYPES as readonly unknown[]).includes(value)) throw new BbwsError('VALIDATION_FAILED', 'type must be full or incremental.', { field: 'type' });
  return value as BackupType;
}

/** `bbws backup create --tenant T | --site T/S` and `POST …/sites/{s}/backups`. */
export async function requestBackup(
  deps: BackupDeps,
  principal: Principal | null,
  input: { tenantId: string; siteId?: string | null; type?: unknown; reason?: 'manual' | 'scheduled' },
  correlationId: string | null,
): Promise<BackupAccepted> {
  if (principal) assertTenantAccess(principal, input.tenantId);
  const type = parseType(input.type);
  await assertActiveTenant(deps, input.tenantId);
  if (input.siteId) await loadSite(deps, principal, input.tenantId, input.siteId);
  return enqueueBackupOperation(deps, 'CREATE_BACKUP', input.tenantId, { backupId: newBackupId(), siteId: input.siteId ?? null, type, reason: input.reason ?? 'manual' }, correlationId);
}

/** The backup, if the principal may see it (404 BACKUP_NOT_FOUND otherwise, also for a bad id). */
export async function getBackup(deps: BackupDeps, principal: Principal | null, backupId: unknown, scope?: { tenantId: string; siteId?: string }): Promise<BackupRecord> {
  const record = isBackupId(backupId) ? await deps.backups.catalog.get(backupId) : undefined;
  const visible =
    record &&
    (!principal || (record.tenantId !== null ? canAccessTenant(principal, record.tenantId) : principal.role === 'platform-admin')) &&
    (!scope || (record.tenantId === scope.tenantId && (scope.siteId === undefined || record.siteId === scope.siteId)));
  if (!visible) throw new BbwsError('BACKUP_NOT_FOUND', undefined, { backupId: String(backupId).slice(0, 64) });
  return record;
}

export async function listBackups(deps: BackupDeps, principal: Principal | null, filter: BackupFilter): Promise<BackupRecord[]> {
  if (principal && principal.role !== 'platform-admin') {
    if (!filter.tenantId) throw new BbwsError('FORBIDDEN', 'A tenant-admin lists the backups of its own tenant (tenantId).');
    assertTenantAccess(principal, filter.tenantId);
  }
  return deps.backups.catalog.list(filter);
}

export async function requestVerify(deps: BackupDeps, principal: Principal | null, backupId: unknown, correlationId: string | null): Promise<BackupAccepted> {
  const record = await getBackup(deps, principal, backupId);
  if (!record.tenantId) throw new BbwsError('VALIDATION_FAILED', 'Platform backups are verified with `bbws backup verify` on the host.', { backupId: record.backupId });
  return enqueueBackupOperation(deps, 'VERIFY_BACKUP', record.tenantId, { backupId: record.backupId, siteId: record.siteId }, correlationId);
}

/**
 * Restores a backup over its own tenant (or site), after a checkpoint backup of what is there now
 * (`checkpointId`, taken first by the worker), which {@link requestUndoRestore} restores.
 */
export async function requestRestoreInPlace(deps: BackupDeps, principal: Principal | null, backupId: unknown, correlationId: string | null, scope?: { tenantId: string; siteId: string }): Promise<BackupAccepted & { checkpointId: string }> {
  const record = await getBackup(deps, principal, backupId, scope);
  if (!record.tenantId) throw new BbwsError('VALIDATION_FAILED', 'Platform backups are restored with `bbws restore --platform ID --data-dir DIR`.', { backupId: record.backupId });
  await assertActiveTenant(deps, record.tenantId);
  if (record.siteId) await loadSite(deps, principal, record.tenantId, record.siteId);
  const checkpointId = newBackupId();
  const accepted = await enqueueBackupOperation(deps, 'RESTORE_BACKUP', record.tenantId, { backupId: record.backupId, siteId: record.siteId, checkpointId }, correlationId);
  return { ...accepted, checkpointId };
}

/**
 * `bbws restore undo --tenant T [--site S]`: restores the checkpoint of the last in-place restore
 * of the target — one that succeeded, or one that failed after its checkpoint was taken (its error
 * sends the operator here: the target may be half-restored). An undo that failed is run again; one
 * that succeeded, or a failed restore that took no checkpoint (it changed nothing), leaves nothing
 * to undo.
 */
export async function requestUndoRestore(deps: BackupDeps, principal: Principal | null, target: { tenantId: string; siteId?: string | null }, correlationId: string | null): Promise<BackupAccepted> {
  if (principal) assertTenantAccess(principal, target.tenantId);
  await assertActiveTenant(deps, target.tenantId);
  const restores = (await deps.store.listOperations(target.tenantId, 100)).filter(
    (o) => o.type === 'RESTORE_BACKUP' && (o.status === 'SUCCEEDED' || o.status === 'FAILED') && !o.input.toTenant && (o.input.siteId ?? null) === (target.siteId ?? null),
  );
  const last = restores.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  const none = () => new BbwsError('BACKUP_NO_CHECKPOINT', undefined, { tenantId: target.tenantId, siteId: target.siteId ?? null });
  if (!last || (last.input.undoOf && last.status === 'SUCCEEDED')) throw none();
  // A failed undo is retried: the same checkpoint, undoing the same restore.
  const checkpointId = (last.input.undoOf ? last.input.backupId : last.input.checkpointId) as string | undefined;
  if (!checkpointId || !(await deps.backups.catalog.get(assertBackupId(checkpointId)))) throw none();
  const undoOf = (last.input.undoOf as string | undefined) ?? last.operationId;
  return enqueueBackupOperation(deps, 'RESTORE_BACKUP', target.tenantId, { backupId: checkpointId, siteId: target.siteId ?? null, checkpointId: null, undoOf }, correlationId);
}
