/**
 * The backup schedule inside `bbws up` (BBWS_BACKUP_SCHEDULE; default daily full, hourly
 * incremental, daily verification of each tenant's latest backup). Each tenant's slot is spread
 * over the period by a hash of its id (domain/backup.ts), so backups do not all start at once.
 * A pass only enqueues operations; the backup worker does the work, one tenant at a time.
 */
import { isDue } from '../../domain/backup.js';
import { isBackupOperation } from '../../domain/operation.js';
import { requestBackup, requestVerify } from './backup-commands.js';
import type { BackupDeps } from './backup-deps.js';

export interface SchedulePassReport {
  enqueued: Array<{ tenantId: string; type: string; operationId: string }>;
}

/** One pass: enqueues what is due for every ACTIVE tenant. */
export async function runBackupSchedulePass(deps: BackupDeps): Promise<SchedulePassReport> {
  const { schedule, catalog } = deps.backups;
  const now = deps.now();
  const enqueued: SchedulePassReport['enqueued'] = [];
  for (const instance of await deps.store.listInstancesByState(['ACTIVE'])) {
    const tenantId = instance.tenantId;
    if ((await deps.store.listOpenOperations(tenantId)).some(isBackupOperation)) continue;
    const backups = (await catalog.list({ tenantId, scope: 'tenant' })).filter((b) => b.reason !== 'checkpoint');
    // Without a backup yet, the tenant's instance counts as its last one: its first backup comes
    // in its own slot, not at once for every tenant when the schedule starts.
    const since = Date.parse(instance.updatedAt);
    const lastOf = (pred: (b: (typeof backups)[number]) => boolean) => {
      const b = backups.find(pred);
      return b ? Date.parse(b.createdAt) : since;
    };
    const lastFull = lastOf((b) => b.type === 'full');
    const lastAny = lastOf(() => true);
    const latest = backups[0];
    try {
      if (isDue(tenantId, schedule.fullEveryMinutes, lastFull, now)) {
        const a = await requestBackup(deps, null, { tenantId, type: 'full', reason: 'scheduled' }, null);
        enqueued.push({ tenantId, type: 'full', operationId: a.operationId });
      } else if (isDue(tenantId, schedule.incrementalEveryMinutes, lastAny, now)) {
        const a = await requestBackup(deps, null, { tenantId, type: 'incremental', reason: 'scheduled' }, null);
        enqueued.push({ tenantId, type: 'incremental', operationId: a.operationId });
      } else if (latest && isDue(tenantId, schedule.verifyEveryMinutes, latest.verification.verifiedAt ? Date.parse(latest.verification.verifiedAt) : Date.parse(latest.createdAt), now)) {
        const a = await requestVerify(deps, null, latest.backupId, null);
        enqueued.push({ tenantId, type: 'verify', operationId: a.operationId });
      }
    } catch (err) {
      deps.logger.warn({ action: 'BACKUP_SCHEDULE', tenantId, status: 'SKIPPED', err: err instanceof Error ? err.message : String(err) }, 'scheduled backup work not enqueued');
    }
  }
  return { enqueued };
}
