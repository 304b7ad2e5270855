/**
 * Whether a tenant's backups can be trusted today (issue 13: a green status with no backup behind
 * it is what users of every peer complain about most). A tenant has a backup problem when:
 * - NO_RECENT_BACKUP: the schedule should have made one (two of its shortest periods, plus
 *   slack) and none exists since;
 * - LAST_BACKUP_FAILED: its latest tenant backup operation failed, and no backup came after it;
 * - VERIFY_FAILED: the latest verification of its backups failed, and none verified since;
 * - NOT_VERIFIED: the schedule verifies daily (by default), yet no backup of it was verified in
 *   two verification periods, plus slack.
 * Checks that depend on the schedule are off with it (`BBWS_BACKUP_SCHEDULE=off`); the failures are
 * always reported. A tenant younger than a period has nothing overdue yet.
 */
import type { BackupRecord, BackupSchedule } from './backup.js';

export type BackupProblemCode = 'NO_RECENT_BACKUP' | 'LAST_BACKUP_FAILED' | 'VERIFY_FAILED' | 'NOT_VERIFIED';

export interface BackupProblem {
  tenantId: string;
  code: BackupProblemCode;
  /** One line for an operator: what is wrong and what to run. */
  detail: string;
}

/** Room for a pass of the schedule and a backup that is running. */
export const FRESHNESS_SLACK_MS = 15 * 60_000;

export interface TenantBackupFacts {
  tenantId: string;
  /** When the tenant became ACTIVE as it is now (its instance's updatedAt). */
  activeSinceMs: number;
  /** Its tenant-scope backups, but checkpoints, newest first. */
  backups: readonly Pick<BackupRecord, 'backupId' | 'createdAt' | 'verification'>[];
  /** Its latest CREATE_BACKUP operation of the whole tenant, if any. */
  lastBackupOperation: { status: string; createdAt: string; error: string | null; operationId: string } | null;
}

const at = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : Number.NaN);

function shortestPeriodMs(schedule: BackupSchedule): number {
  const periods = [schedule.fullEveryMinutes, schedule.incrementalEveryMinutes].filter((m) => m > 0);
  return periods.length ? Math.min(...periods) * 60_000 : 0;
}

/** The first problem found for one tenant, in the order above; null when its backups are sound. */
export function backupProblemOf(facts: TenantBackupFacts, schedule: BackupSchedule, now: number): BackupProblem | null {
  const { tenantId, backups, lastBackupOperation: op } = facts;
  const latest = backups[0];
  const since = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  const period = shortestPeriodMs(schedule);
  const lastBackupAt = latest ? at(latest.createdAt) : facts.activeSinceMs;
  if (period > 0 && now - lastBackupAt > 2 * period + FRESHNESS_SLACK_MS)
    return { tenantId, code: 'NO_RECENT_BACKUP', detail: `${tenantId}: no backup since ${since(lastBackupAt)}${latest ? ` (${latest.backupId})` : ' (none yet)'}; see bbws operations list ${tenantId}, then bbws backup create --tenant ${tenantId}` };
  if (op?.status === 'FAILED' && (!latest || at(op.createdAt) > at(latest.createdAt)))
    return { tenantId, code: 'LAST_BACKUP_FAILED', detail: `${tenantId}: backup operation ${op.operationId} failed${op.error ? ` (${op.error.slice(0, 160)})` : ''}; bbws operations get ${op.operationId}, then bbws backup create --tenant ${tenantId}` };
  const attempts = backups.filter((b) => b.verification.verifiedAt).sort((a, b) => at(b.verification.verifiedAt) - at(a.verification.verifiedAt));
  const lastAttempt = attempts[0];
  if (lastAttempt?.verification.status === 'FAILED')
    return { tenantId, code: 'VERIFY_FAILED', detail: `${tenantId}: verification of ${lastAttempt.backupId} failed${lastAttempt.verification.error ? ` (${lastAttempt.verification.error.slice(0, 160)})` : ''}; bbws backup show ${lastAttempt.backupId}, then bbws backup create --tenant ${tenantId} and bbws backup verify --latest --tenant ${tenantId}` };
  const verifyPeriod = schedule.verifyEveryMinutes * 60_000;
  const lastVerified = attempts.find((b) => b.verification.status === 'VERIFIED');
  const verifiedAt = lastVerified ? at(lastVerified.verification.verifiedAt) : facts.activeSinceMs;
  if (verifyPeriod > 0 && latest && now - verifiedAt > 2 * verifyPeriod + FRESHNESS_SLACK_MS)
    return { tenantId, code: 'NOT_VERIFIED', detail: `${tenantId}: no backup verified since ${since(verifiedAt)}; bbws backup verify ${latest.backupId}` };
  return null;
}
