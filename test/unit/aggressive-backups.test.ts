/**
 * Which backups `bbws cleanup --type aggressive` removes (app/cleanup/aggressive-backups.ts): per
 * tenant, site and the platform, all older than a day but the latest verified one; the newest is
 * kept where none is verified; nothing younger than a day.
 */
import { describe, expect, it } from 'vitest';
import { backupsForAggressiveCleanup } from '../../src/app/cleanup/aggressive-backups.js';
import { UNVERIFIED, type BackupRecord } from '../../src/domain/backup.js';
import { backupRecord } from '../support/backup-records.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW - h * 3_600_000).toISOString();
let n = 0;
function backup(tenantId: string | null, ageHours: number, verified: boolean, siteId: string | null = null): BackupRecord {
  n++;
  return backupRecord({
    backupId: `bk-${String(n).padStart(12, '0')}`,
    scope: tenantId === null ? 'platform' : siteId ? 'site' : 'tenant',
    tenantId,
    siteId,
    snapshotId: `snap${n}`,
    createdAt: hoursAgo(ageHours),
    verification: verified ? { status: 'VERIFIED', verifiedAt: hoursAgo(ageHours - 1), error: null, durationMs: 1 } : UNVERIFIED,
  });
}

describe('backupsForAggressiveCleanup', () => {
  it('keeps the latest verified backup of each scope and everything younger than a day', () => {
    const young = backup('acme', 2, false);
    const latestVerified = backup('acme', 30, true);
    const olderVerified = backup('acme', 50, true);
    const oldUnverified = backup('acme', 70, false);
    const site = backup('acme', 40, true, 'shop1');
    const siteOld = backup('acme', 80, false, 'shop1');
    const platform = backup(null, 26, false);
    const platformOld = backup(null, 72, true);
    const removed = backupsForAggressiveCleanup([young, latestVerified, olderVerified, oldUnverified, site, siteOld, platform, platformOld], NOW).map((b) => b.backupId);
    expect(removed.sort()).toEqual([olderVerified, oldUnverified, siteOld, platform].map((b) => b.backupId).sort());
  });

  it('keeps the newest backup of a scope where none is verified', () => {
    const newest = backup('beta', 30, false);
    const older = backup('beta', 60, false);
    expect(backupsForAggressiveCleanup([older, newest], NOW).map((b) => b.backupId)).toEqual([older.backupId]);
  });
});
