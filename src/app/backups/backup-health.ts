/**
 * The `backups` component of /health and the `bbws_backup_problem_tenants` gauge its alarm reads
 * (domain/backup-freshness.ts has the rules): every ACTIVE tenant's backups, checked against the
 * schedule. The schedule's checks apply only where this platform runs the schedule (a backup
 * engine is here); failed backups and failed verifications are reported everywhere.
 */
import { backupProblemOf, type BackupProblem } from '../../domain/backup-freshness.js';
import type { ComponentHealth } from '../../ports/runtime.js';
import type { BackupDeps } from './backup-deps.js';

/** How many of a tenant's latest operations are searched for its last backup operation. */
const OPERATIONS_SEARCHED = 50;

export async function listBackupProblems(deps: BackupDeps): Promise<BackupProblem[]> {
  const { catalog, schedule, engine } = deps.backups;
  const effective = engine ? schedule : { ...schedule, fullEveryMinutes: 0, incrementalEveryMinutes: 0, verifyEveryMinutes: 0 };
  const byTenant = new Map<string, Awaited<ReturnType<typeof catalog.list>>>();
  for (const b of await catalog.list({ scope: 'tenant' })) {
    if (b.reason === 'checkpoint' || !b.tenantId) continue;
    byTenant.set(b.tenantId, [...(byTenant.get(b.tenantId) ?? []), b]);
  }
  const now = deps.now();
  const problems: BackupProblem[] = [];
  for (const instance of await deps.store.listInstancesByState(['ACTIVE'])) {
    const ops = await deps.store.listOperations(instance.tenantId, OPERATIONS_SEARCHED);
    const last = ops.find((op) => op.type === 'CREATE_BACKUP' && !op.input.siteId);
    const problem = backupProblemOf(
      {
        tenantId: instance.tenantId,
        activeSinceMs: Date.parse(instance.updatedAt),
        backups: byTenant.get(instance.tenantId) ?? [],
        lastBackupOperation: last ? { status: last.status, createdAt: last.createdAt, error: last.error, operationId: last.operationId } : null,
      },
      effective,
      now,
    );
    if (problem) problems.push(problem);
  }
  return problems;
}

export function backupsHealthOf(problems: readonly BackupProblem[]): ComponentHealth {
  if (!problems.length) return { name: 'backups', status: 'ok', detail: 'every active tenant has a recent, verified backup' };
  const shown = problems.slice(0, 3).map((p) => `${p.code} ${p.detail}`);
  return { name: 'backups', status: 'degraded', detail: `${problems.length} tenant(s) with a backup problem: ${shown.join('; ')}${problems.length > 3 ? '; …' : ''}` };
}
