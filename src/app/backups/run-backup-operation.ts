/**
 * The backup worker: carries out CREATE_BACKUP, VERIFY_BACKUP, RESTORE_BACKUP and ROTATE_SECRETS operations from
 * the backups queue. Each engine step is journaled as a step of the operation (the CLI shows them
 * as progress). Before any work, leftovers of a killed earlier run are removed.
 *
 * Safe under redelivery (a worker killed mid-way): a backup runs again under the same id (the
 * killed run's snapshot has no record and is removed as a leftover), a verification runs again,
 * and a restore finds its checkpoint already taken and restores again.
 */
import { isTerminal, type Operation } from '../../domain/operation.js';
import type { BackupRecord } from '../../domain/backup.js';
import type { BackupProgress } from '../../ports/backups.js';
import { closeInterruptedSteps, errorMessage, OperationClosedError, saveOperation } from '../journal-steps.js';
import { endStep, startStep, withChanges } from '../operation-records.js';
import { recordOutcome } from '../settle-operation.js';
import { engineOf, type BackupDeps } from './backup-deps.js';
import { restoreIntoNewTenant } from './restore-to-tenant.js';
import { runSecretRotation } from '../secrets/rotate-secrets.js';
import { wordpressOf } from '../sites/site-deps.js';
import { siteRef } from '../sites/site-records.js';

/**
 * After a restore in place (or its undo) the edge's page cache holds pages of the content that was
 * replaced: every restored site's cache is purged, so no visitor sees a page from before.
 */
async function purgeRestoredSites(deps: BackupDeps, tenantId: string, siteId: string | null): Promise<void> {
  if (!deps.wordpress) return;
  const sites = (await deps.store.listSites(tenantId)).filter((s) => s.status !== 'DELETED' && (!siteId || s.siteId === siteId));
  for (const site of sites) await wordpressOf(deps).purgeCache(siteRef(site));
}

/** Journals the engine's progress as steps, one save at a time. */
function journal(deps: BackupDeps, initial: Operation) {
  let op = initial;
  let open: string | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  const save = (next: (cur: Operation) => Operation) => {
    chain = chain.then(async () => (op = await saveOperation(deps, op, next(op))));
    return chain;
  };
  const progress: BackupProgress = (step) => {
    if (step === open) return;
    const prev = open;
    open = step;
    void save((cur) => startStep(deps, prev ? endStep(deps, cur, prev, 'SUCCEEDED') : cur, step)).catch(() => undefined);
  };
  return {
    progress,
    async finish(error: string | null, extra: Record<string, unknown> = {}): Promise<Operation> {
      await chain.catch(() => undefined);
      const prev = open;
      open = null;
      await save((cur) => {
        const ended = prev ? endStep(deps, cur, prev, error ? 'FAILED' : 'SUCCEEDED', error) : cur;
        return withChanges(deps, ended, error ? { status: 'FAILED', error, input: { ...cur.input, ...extra } } : { status: 'SUCCEEDED', input: { ...cur.input, ...extra } });
      });
      return op;
    },
  };
}

async function createFor(deps: BackupDeps, op: Operation, backupId: string, reason: BackupRecord['reason'], progress: BackupProgress): Promise<BackupRecord> {
  const engine = engineOf(deps);
  const siteId = (op.input.siteId as string | null) ?? null;
  const type = op.input.type === 'incremental' ? 'incremental' : 'full';
  const sameScope = await deps.backups.catalog.list({ tenantId: op.tenantId, scope: siteId ? 'site' : 'tenant' });
  const parent = sameScope.find((b) => b.siteId === siteId && b.backupId !== backupId) ?? null;
  const instance = await deps.store.getInstance(op.tenantId);
  const sites = (await deps.store.listSites(op.tenantId)).filter((s) => s.status !== 'DELETED' && (!siteId || s.siteId === siteId));
  return engine.createBackup(
    {
      backupId,
      tenantId: op.tenantId,
      siteId,
      type,
      reason,
      parentId: parent?.backupId ?? null,
      sites: sites.map((s) => ({ siteId: s.siteId, siteName: s.siteName, hostnames: s.hostnames })),
      spec: instance ? { ...instance.spec } : null,
    },
    progress,
  );
}

export async function runBackupOperation(deps: BackupDeps, operationId: string): Promise<Operation | undefined> {
  let op = await deps.store.getOperation(operationId);
  if (!op || isTerminal(op)) return op;
  const engine = engineOf(deps);
  try {
    op = await closeInterruptedSteps(deps, op);
    const j = journal(deps, op);
    const backupId = op.input.backupId as string;
    let error: string | null = null;
    const extra: Record<string, unknown> = {};
    try {
      if (op.type !== 'ROTATE_SECRETS') {
        j.progress('remove leftovers of interrupted backup work');
        await engine.cleanupLeftovers();
      }
      if (op.type === 'ROTATE_SECRETS') {
        await runSecretRotation(deps, op, j.progress);
      } else if (op.type === 'CREATE_BACKUP') {
        const record = await createFor(deps, op, backupId, op.input.reason === 'scheduled' ? 'scheduled' : 'manual', j.progress);
        j.progress('apply the retention policy');
        await engine.prune(deps.backups.retention, { dryRun: false });
        extra.snapshotId = record.snapshotId;
      } else if (op.type === 'VERIFY_BACKUP') {
        const record = await engine.verifyBackup(backupId, j.progress);
        if (record.verification.status !== 'VERIFIED') error = record.verification.error;
      } else if (op.type === 'RESTORE_BACKUP' && op.input.toTenant) {
        await restoreIntoNewTenant(deps, op, j.progress);
      } else if (op.type === 'RESTORE_BACKUP') {
        const checkpointId = op.input.checkpointId as string | null;
        if (checkpointId && !(await deps.backups.catalog.get(checkpointId))) {
          j.progress('checkpoint backup of the target');
          await createFor(deps, { ...op, input: { ...op.input, type: 'full' } }, checkpointId, 'checkpoint', j.progress);
        }
        await engine.restoreInPlace(backupId, j.progress);
        j.progress('purge the page cache of the restored sites');
        await purgeRestoredSites(deps, op.tenantId, (op.input.siteId as string | null) ?? null);
      } else {
        error = `${op.type} is not a backup operation`;
      }
    } catch (err) {
      if (err instanceof OperationClosedError) throw err;
      error = errorMessage(err);
      if (op.type === 'RESTORE_BACKUP' && op.input.checkpointId) error += ` (the target was not changed, or is restorable from checkpoint ${op.input.checkpointId as string}: bbws restore undo)`;
    }
    op = await j.finish(error, extra);
    recordOutcome(deps, op);
    return op;
  } catch (err) {
    if (err instanceof OperationClosedError) return deps.store.getOperation(operationId);
    throw err;
  }
}
