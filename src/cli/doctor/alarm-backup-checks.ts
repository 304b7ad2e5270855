/**
 * Doctor checks of seed 002's daily list that ask the running platform: "no active alarms"
 * (`bbws alarms list --state ALARM`) and "backups verified" (each ACTIVE tenant's latest verified
 * backup, from the backup catalog).
 */
import type { ApiClient } from '../api-client.js';
import { pass, problem, type DoctorCheck } from './doctor-check.js';

/** The default schedule verifies daily: a verified backup older than two days means it stopped. */
export const VERIFIED_BACKUP_MAX_AGE_HOURS = 48;

interface AlarmView {
  name: string;
  state: string;
  severity: string;
  reason: string;
  mutedUntil: string | null;
}

export async function checkAlarms(client: ApiClient, now = Date.now()): Promise<DoctorCheck> {
  const { items } = await client.request<{ items: AlarmView[] }>('GET', '/v1.0/alarms');
  const inAlarm = items.filter((a) => a.state === 'ALARM');
  const firing = inAlarm.filter((a) => !(a.mutedUntil && Date.parse(a.mutedUntil) > now));
  const muted = inAlarm.length - firing.length;
  if (firing.length === 0) return pass('alarms', `${items.length} alarms, none in ALARM${muted ? ` (${muted} muted)` : ''}`);
  const list = firing.map((a) => `${a.name} (${a.severity}: ${a.reason})`).join('; ');
  const status = firing.some((a) => a.severity === 'P1') ? 'fail' : 'warn';
  return problem('alarms', status, `${firing.length} in ALARM: ${list}`, `bbws alarms history ${firing[0]!.name}; follow docs/operations.md for it; once handled, bbws alarms mute NAME --for 2h`);
}

interface TenantView {
  tenantId: string;
  createdAt: string;
  instance: { provisioningState: string } | null;
}
interface BackupView {
  backupId: string;
  tenantId: string | null;
  createdAt: string;
  verification: { status: string };
}

export async function checkBackups(client: ApiClient, now = Date.now()): Promise<DoctorCheck> {
  const maxAgeMs = VERIFIED_BACKUP_MAX_AGE_HOURS * 3_600_000;
  const { items } = await client.request<{ items: TenantView[] }>('GET', '/v1.0/tenants?limit=100');
  const active = items.filter((t) => t.instance?.provisioningState === 'ACTIVE');
  if (active.length === 0) return pass('backups', 'no ACTIVE tenant to back up');
  let backups: BackupView[];
  try {
    backups = (await client.request<{ backups: BackupView[] }>('GET', '/v1.0/backups')).backups;
  } catch (err) {
    return problem('backups', 'warn', `the backup catalog cannot be read: ${(err as Error).message}`, 'check BBWS_BACKUP_REPOSITORY and that bbws up runs the worker role (docs/backups.md)');
  }
  const stale: string[] = [];
  for (const t of active) {
    const verified = backups.filter((b) => b.tenantId === t.tenantId && b.verification.status === 'VERIFIED').sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    if (verified && now - Date.parse(verified.createdAt) <= maxAgeMs) continue;
    // A tenant younger than the window has not had its first scheduled verification yet.
    if (!verified && now - Date.parse(t.createdAt) <= maxAgeMs) continue;
    stale.push(verified ? `${t.tenantId} (last verified backup ${verified.createdAt})` : `${t.tenantId} (none verified)`);
  }
  if (stale.length === 0) return pass('backups', `${active.length} ACTIVE tenants, each with a backup verified in the last ${VERIFIED_BACKUP_MAX_AGE_HOURS} h or too new for one`);
  return problem('backups', 'warn', `no backup verified in ${VERIFIED_BACKUP_MAX_AGE_HOURS} h for ${stale.length}: ${stale.slice(0, 5).join(', ')}`, `bbws backup create --tenant T, then bbws backup verify --latest; check BBWS_BACKUP_SCHEDULE (docs/backups.md)`);
}
