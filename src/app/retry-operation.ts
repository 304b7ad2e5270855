/**
 * POST /v1.0/operations/{id}/retry: runs a FAILED operation again as a new operation with the
 * same type and input (seed 001: "every async action … can be retried when FAILED"). Only the
 * latest operation of its tenant instance or site can be retried, and only when nothing else runs.
 */
import { assertTenantAccess, type Principal } from '../domain/auth.js';
import { BbwsError } from '../domain/errors.js';
import { isBackupOperation, isSiteOperation, type Operation, type SiteOperationType } from '../domain/operation.js';
import type { SiteStatus } from '../domain/site.js';
import type { ProvisioningState } from '../domain/tenant.js';
import { StoreConflictError, type Write } from '../ports/store.js';
import { isoNow } from './deps.js';
import { newOperation } from './operation-records.js';
import { operationMessage, provisioningMessage } from './operation-message.js';
import { queueFor } from './sites/site-commands.js';
import type { SiteDeps } from './sites/site-deps.js';

const SITE_STATUS_ON_RETRY: Record<string, SiteStatus> = { CREATE_SITE: 'PROVISIONING', CLONE_SITE: 'PROVISIONING', UPDATE_SITE: 'UPDATING', APPLY_TEMPLATE: 'UPDATING', DELETE_SITE: 'DELETING' };
const INSTANCE_STATE_ON_RETRY: Record<string, ProvisioningState | null> = { CREATE_TENANT: 'PROVISIONING', SCALE_INSTANCE: 'SCALING', ROLLBACK_INSTANCE: 'ROLLING_BACK', DELETE_TENANT: null };

/**
 * POST /v1.0/operations/{id}/retry: runs a FAILED operation again as a new operation (its steps
 * from the start, `retryOf` naming the failed one). Refused while the same tenant or site has an
 * open or newer operation.
 */
export async function retryOperation(deps: SiteDeps, principal: Principal, operationId: string, correlationId: string | null) {
  const failed = await deps.store.getOperation(operationId);
  if (!failed || (principal.role !== 'platform-admin' && principal.tenantId !== failed.tenantId)) throw new BbwsError('OPERATION_NOT_FOUND', undefined, { operationId });
  assertTenantAccess(principal, failed.tenantId);
  if (failed.status !== 'FAILED') throw new BbwsError('INVALID_STATE', `Only a FAILED operation can be retried; this one is ${failed.status}.`, { status: failed.status });
  // A backup, verification, restore or rotation is asked for again with its own command (docs/backups.md).
  if (isBackupOperation(failed)) {
    const command = failed.type === 'ROTATE_SECRETS' ? `bbws secrets rotate ${failed.tenantId} --db` : '`bbws backup` / `bbws restore`';
    throw new BbwsError('INVALID_STATE', `A ${failed.type} is not retried: run ${command} again.`, { type: failed.type });
  }
  const siteId = isSiteOperation(failed) ? (failed.input.siteId as string) : null;
  const sameSubject = (o: Operation) => (siteId ? o.input.siteId === siteId : !isSiteOperation(o));
  const newer = (await deps.store.listOperations(failed.tenantId, 100)).find((o) => sameSubject(o) && o.createdAt > failed.createdAt);
  if (newer) throw new BbwsError('INVALID_STATE', `A newer operation (${newer.operationId}) ran since; retry that one instead.`, { newerOperationId: newer.operationId });
  const open = (await deps.store.listOpenOperations(failed.tenantId)).filter(sameSubject);
  if (open.length) throw new BbwsError('OPERATION_IN_PROGRESS', undefined, { operationId: open[0].operationId });

  const operation = newOperation(deps, failed.type, failed.tenantId, { ...failed.input, retryOf: failed.operationId }, correlationId);
  const writes: Write[] = [{ kind: 'putOperation', operation, expectedVersion: null }];
  if (siteId) {
    const site = await deps.store.getSite(failed.tenantId, siteId);
    if (!site || site.status === 'DELETED') throw new BbwsError('SITE_NOT_FOUND', undefined, { siteId });
    writes.push({ kind: 'putSite', site: { ...site, status: SITE_STATUS_ON_RETRY[failed.type], lastError: null, updatedAt: isoNow(deps), version: site.version + 1 }, expectedVersion: site.version });
    writes.push({ kind: 'enqueue', message: operationMessage(queueFor(deps, failed.type as SiteOperationType), operation) });
  } else {
    const instance = await deps.store.getInstance(failed.tenantId);
    if (!instance) throw new BbwsError('TENANT_NOT_FOUND', undefined, { tenantId: failed.tenantId });
    const state = INSTANCE_STATE_ON_RETRY[failed.type] ?? instance.provisioningState;
    writes.push({ kind: 'putInstance', instance: { ...instance, provisioningState: state, workflowStatus: 'RETRY_QUEUED', lastError: null, updatedAt: isoNow(deps), version: instance.version + 1 }, expectedVersion: instance.version });
    writes.push({ kind: 'enqueue', message: provisioningMessage(deps, operation) });
  }
  try {
    await deps.store.commit(writes);
  } catch (err) {
    if (err instanceof StoreConflictError) throw new BbwsError('VERSION_CONFLICT', undefined, { operationId });
    throw err;
  }
  deps.logger.info({ tenantId: failed.tenantId, siteId, action: `RETRY_${failed.type}`, status: 'ACCEPTED', operationId: operation.operationId, retryOf: operationId, correlationId }, 'operation retried');
  return { operationId: operation.operationId, retryOf: operationId, type: operation.type, status: operation.status };
}
