/**
 * When a tenant's backups can't be trusted (domain/backup-freshness.ts): overdue against the
 * schedule, the last backup failed, the last verification failed, not verified for too long; each
 * at its boundary, and the schedule's checks off with the schedule.
 */
import { describe, expect, it } from 'vitest';
import { backupProblemOf, FRESHNESS_SLACK_MS, type TenantBackupFacts } from '../../src/domain/backup-freshness.js';
import { DEFAULT_SCHEDULE, parseSchedule, UNVERIFIED, type Verification } from '../../src/domain/backup.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const verified = (msAgo: number): Verification => ({ status: 'VERIFIED', verifiedAt: ago(msAgo), error: null, durationMs: 900 });
const failed = (msAgo: number): Verification => ({ status: 'FAILED', verifiedAt: ago(msAgo), error: 'table wp_posts: 999 rows, expected 1000', durationMs: 900 });

function facts(over: Partial<TenantBackupFacts> = {}): TenantBackupFacts {
  return {
    tenantId: 'acme',
    activeSinceMs: NOW - 30 * 24 * HOUR,
    backups: [{ backupId: 'bk-new', createdAt: ago(HOUR), verification: UNVERIFIED }, { backupId: 'bk-old', createdAt: ago(20 * HOUR), verification: verified(19 * HOUR) }],
    lastBackupOperation: { status: 'SUCCEEDED', createdAt: ago(HOUR + 60_000), error: null, operationId: 'op-1' },
    ...over,
  };
}

describe('backupProblemOf', () => {
  it('finds nothing wrong with a recent backup and a verification within two days', () => {
    expect(backupProblemOf(facts(), DEFAULT_SCHEDULE, NOW)).toBeNull();
  });

  it('NO_RECENT_BACKUP after two of the shortest periods plus slack, not a moment before', () => {
    const edge = 2 * HOUR + FRESHNESS_SLACK_MS;
    const at = (ms: number) => facts({ backups: [{ backupId: 'bk-1', createdAt: ago(ms), verification: verified(ms - 60_000) }], lastBackupOperation: null });
    expect(backupProblemOf(at(edge - 1000), DEFAULT_SCHEDULE, NOW)).toBeNull();
    const problem = backupProblemOf(at(edge + 1000), DEFAULT_SCHEDULE, NOW);
    expect(problem).toMatchObject({ tenantId: 'acme', code: 'NO_RECENT_BACKUP' });
    expect(problem!.detail).toContain('bbws backup create --tenant acme');
    // Full only (no incremental): a day is the period.
    expect(backupProblemOf(at(edge + 1000), parseSchedule('incremental=0m'), NOW)).toBeNull();
  });

  it('counts a tenant without any backup from when it became ACTIVE', () => {
    const none = (sinceMs: number) => facts({ backups: [], lastBackupOperation: null, activeSinceMs: NOW - sinceMs });
    expect(backupProblemOf(none(HOUR), DEFAULT_SCHEDULE, NOW)).toBeNull();
    expect(backupProblemOf(none(3 * HOUR), DEFAULT_SCHEDULE, NOW)).toMatchObject({ code: 'NO_RECENT_BACKUP' });
    expect(backupProblemOf(none(3 * HOUR), DEFAULT_SCHEDULE, NOW)!.detail).toContain('none yet');
  });

  it('LAST_BACKUP_FAILED at once when the latest backup operation failed after the latest backup', () => {
    const op = { status: 'FAILED', createdAt: ago(10 * 60_000), error: 'restic: repository is locked', operationId: 'op-9' };
    const problem = backupProblemOf(facts({ lastBackupOperation: op }), DEFAULT_SCHEDULE, NOW);
    expect(problem).toMatchObject({ code: 'LAST_BACKUP_FAILED' });
    expect(problem!.detail).toContain('op-9');
    expect(problem!.detail).toContain('repository is locked');
    // A backup made after the failed operation settles it.
    expect(backupProblemOf(facts({ lastBackupOperation: { ...op, createdAt: ago(2 * HOUR) } }), DEFAULT_SCHEDULE, NOW)).toBeNull();
  });

  it('VERIFY_FAILED while the latest verification failed; a later verified backup settles it', () => {
    const backups = [{ backupId: 'bk-new', createdAt: ago(HOUR), verification: failed(30 * 60_000) }, { backupId: 'bk-old', createdAt: ago(20 * HOUR), verification: verified(19 * HOUR) }];
    const problem = backupProblemOf(facts({ backups }), DEFAULT_SCHEDULE, NOW);
    expect(problem).toMatchObject({ code: 'VERIFY_FAILED' });
    expect(problem!.detail).toContain('bk-new');
    expect(problem!.detail).toContain('999 rows');
    const reverified = [{ ...backups[0], verification: failed(5 * HOUR) }, { ...backups[1], verification: verified(HOUR) }];
    expect(backupProblemOf(facts({ backups: reverified }), DEFAULT_SCHEDULE, NOW)).toBeNull();
  });

  it('NOT_VERIFIED when no backup was verified in two verification periods plus slack', () => {
    const edge = 48 * HOUR + FRESHNESS_SLACK_MS;
    const backups = (verifiedMsAgo: number) => [{ backupId: 'bk-new', createdAt: ago(HOUR), verification: UNVERIFIED }, { backupId: 'bk-old', createdAt: ago(verifiedMsAgo + HOUR), verification: verified(verifiedMsAgo) }];
    expect(backupProblemOf(facts({ backups: backups(edge - 1000) }), DEFAULT_SCHEDULE, NOW)).toBeNull();
    expect(backupProblemOf(facts({ backups: backups(edge + 1000) }), DEFAULT_SCHEDULE, NOW)).toMatchObject({ code: 'NOT_VERIFIED' });
    expect(backupProblemOf(facts({ backups: backups(edge + 1000) }), DEFAULT_SCHEDULE, NOW)!.detail).toContain('bbws backup verify bk-new');
  });

  it('with the schedule off, only failures count', () => {
    const off = parseSchedule('off');
    const stale = facts({ backups: [{ backupId: 'bk-1', createdAt: ago(90 * 24 * HOUR), verification: UNVERIFIED }], lastBackupOperation: null });
    expect(backupProblemOf(stale, off, NOW)).toBeNull();
    expect(backupProblemOf(stale, DEFAULT_SCHEDULE, NOW)).toMatchObject({ code: 'NO_RECENT_BACKUP' });
    const broken = facts({ backups: [{ backupId: 'bk-1', createdAt: ago(90 * 24 * HOUR), verification: failed(HOUR) }], lastBackupOperation: null });
    expect(backupProblemOf(broken, off, NOW)).toMatchObject({ code: 'VERIFY_FAILED' });
  });
});
