/**
 * The backups `bbws cleanup --type aggressive` removes (seed 002 §Resource Cleanup: "backups older
 * than 1 day except the latest verified one"): per scope — a tenant, a site, the platform — every
 * backup older than a day but the newest VERIFIED one. Where a scope has no verified backup, its
 * newest backup is kept instead: aggressive cleanup never leaves a tenant with no backup at all.
 */
import type { BackupRecord } from '../../domain/backup.js';

export const AGGRESSIVE_BACKUP_MIN_AGE_MS = 86_400_000;

const scopeOf = (r: BackupRecord) => `${r.scope}:${r.tenantId ?? ''}:${r.siteId ?? ''}`;

export function backupsForAggressiveCleanup(records: readonly BackupRecord[], now: number): BackupRecord[] {
  const groups = new Map<string, BackupRecord[]>();
  for (const r of records) groups.set(scopeOf(r), [...(groups.get(scopeOf(r)) ?? []), r]);
  const out: BackupRecord[] = [];
  for (const group of groups.values()) {
    const newestFirst = [...group].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const keep = newestFirst.find((r) => r.verification.status === 'VERIFIED') ?? newestFirst[0];
    out.push(...newestFirst.filter((r) => r !== keep && now - Date.parse(r.createdAt) >= AGGRESSIVE_BACKUP_MIN_AGE_MS));
  }
  return out;
}
