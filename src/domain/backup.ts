/**
 * Backups (seed 002 §Backup Verification, §Database Backup and Restore): what a backup record
 * holds, its ids, the retention policy and the backup schedule. No I/O.
 *
 * A backup counts once a restore of it was verified: `verification.status` starts `UNVERIFIED`
 * and is shown as such everywhere until `verify` restored it into a scratch database and
 * directory and found every table and file equal.
 */
import { BbwsError } from './errors.js';

export const BACKUP_SCOPES = ['tenant', 'site', 'platform'] as const;
export type BackupScope = (typeof BACKUP_SCOPES)[number];
export const BACKUP_TYPES = ['full', 'incremental'] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];
/** Why it was taken: by hand, by the schedule, or as the checkpoint before an in-place restore. */
export type BackupReason = 'manual' | 'scheduled' | 'checkpoint';
export type VerificationStatus = 'UNVERIFIED' | 'VERIFIED' | 'FAILED';

export interface BackupTable {
  name: string;
  rows: number;
  sha256: string;
}

export interface BackupFiles {
  files: number;
  bytes: number;
  sha256: string;
}

export interface Verification {
  status: VerificationStatus;
  verifiedAt: string | null;
  /** What differed or failed (names the backup, the table or the file tree). */
  error: string | null;
  durationMs: number | null;
  /**
   * The restored copy served on a scratch route through the edge and the tenant's pool: one entry
   * per site whose homepage was fetched (backup-homepage.ts). Absent: verified before the check
   * existed, or never got that far (a table or file differed first).
   */
  homepages?: HomepageCheck[];
}

/** The homepage of a restored copy, fetched through the real edge on a scratch host. */
export interface HomepageCheck {
  /** The site (null: the tenant's default install, `wp_` tables). */
  siteId: string | null;
  /** HTTP status (0: no answer). */
  status: number;
  /** The `<title>` served, entities decoded (null: none). */
  title: string | null;
  /** The title recorded at backup time (null: the backup predates recording it, or the site had none). */
  expectedTitle: string | null;
  ms: number;
  ok: boolean;
  /** What failed, or a note ("title not recorded at backup time"); null when there is nothing to say. */
  note: string | null;
}

export interface BackupRecord {
  backupId: string;
  scope: BackupScope;
  type: BackupType;
  reason: BackupReason;
  tenantId: string | null;
  siteId: string | null;
  /** The previous backup of the same scope (restic's parent snapshot): an incremental's base. */
  parentId: string | null;
  snapshotId: string;
  createdAt: string;
  /** Sites of the tenant when it was taken (id, name, host names). */
  sites: Array<{ siteId: string; siteName: string; hostnames: string[] }>;
  /** The tenant's spec (instance) as recorded then; null for platform backups. */
  spec: Record<string, unknown> | null;
  wordpressVersion: string | null;
  /**
   * Each served site's title (WordPress's `blogname`) at backup time, which verify expects in the
   * restored homepage's `<title>`. Absent in backups made before it was recorded.
   */
  titles?: Array<{ siteId: string | null; title: string | null }>;
  tables: BackupTable[];
  /** The dump's triggers, views and routines (count, SHA-256 of their definitions); absent in records made before they were. */
  objects?: { count: number; sha256: string } | null;
  /** Uploads, themes and plugins (tenant), or the site's uploads (site); null for platform backups. */
  files: BackupFiles | null;
  sizes: { databaseBytes: number; filesBytes: number; repositoryAdded: number };
  verification: Verification;
  /** Where the snapshot's parts were on the host (absolute paths inside the snapshot); operators only. */
  paths: { work: string; files: string | null };
}

export const UNVERIFIED: Verification = { status: 'UNVERIFIED', verifiedAt: null, error: null, durationMs: null };

const ID = /^bk-[a-z0-9]{12}$/;

export function newBackupId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(12));
  return `bk-${Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')}`;
}

export function isBackupId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

export function assertBackupId(value: unknown): string {
  if (!isBackupId(value)) throw new BbwsError('BACKUP_NOT_FOUND', undefined, { backupId: String(value).slice(0, 64) });
  return value;
}

/** Per group (a tenant, a site): how many backups of each kind of period are kept. */
export interface RetentionPolicy {
  /** The newest N, whatever their age (so a checkpoint and the backups of the last hours stay). */
  last: number;
  hourly: number;
  daily: number;
  weekly: number;
  monthly: number;
}

/** 7 daily, 4 weekly, 3 monthly (the seed's policy), plus the last 10 and 24 hourly: restic keeps only the newest backup of each period. */
export const DEFAULT_RETENTION: RetentionPolicy = Object.freeze({ last: 10, hourly: 24, daily: 7, weekly: 4, monthly: 3 });

const UNITS = { l: 'last', h: 'hourly', d: 'daily', w: 'weekly', m: 'monthly' } as const;

/**
 * `10l,24h,7d,4w,3m` (any order, any subset; missing units keep 0): the last N backups, and the
 * newest of each of the last N hours, days, weeks and months (restic's --keep-last, --keep-hourly,
 * --keep-daily, --keep-weekly, --keep-monthly). Throws BACKUP_RETENTION_INVALID.
 */
export function parseRetention(text: string): RetentionPolicy {
  const policy = { last: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0 };
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new BbwsError('BACKUP_RETENTION_INVALID', undefined, { retention: text.slice(0, 64) });
  for (const p of parts) {
    const m = /^(\d{1,4})([lhdwm])$/.exec(p);
    if (!m) throw new BbwsError('BACKUP_RETENTION_INVALID', undefined, { retention: text.slice(0, 64) });
    policy[UNITS[m[2] as keyof typeof UNITS]] = Number(m[1]);
  }
  if (Object.values(policy).every((n) => n === 0)) throw new BbwsError('BACKUP_RETENTION_INVALID', 'A retention policy must keep something.', { retention: text.slice(0, 64) });
  return policy;
}

export function formatRetention(p: RetentionPolicy): string {
  return (Object.entries(UNITS) as Array<[string, keyof RetentionPolicy]>).filter(([, k]) => p[k] > 0).map(([u, k]) => `${p[k]}${u}`).join(',');
}

export interface BackupSchedule {
  /** Minutes between full backups of a tenant (0: none). */
  fullEveryMinutes: number;
  /** Minutes between incremental backups of a tenant (0: none). */
  incrementalEveryMinutes: number;
  /** Minutes between verifications of each tenant's latest backup (0: none). */
  verifyEveryMinutes: number;
}

/** Daily full, hourly incremental, daily verification. */
export const DEFAULT_SCHEDULE: BackupSchedule = Object.freeze({ fullEveryMinutes: 1440, incrementalEveryMinutes: 60, verifyEveryMinutes: 1440 });

/**
 * `full=24h,incremental=1h,verify=24h` (units m or h; `off` disables the schedule). Keys left out
 * keep their default. Throws BACKUP_SCHEDULE_INVALID.
 */
export function parseSchedule(text: string): BackupSchedule {
  if (text.trim() === 'off') return { fullEveryMinutes: 0, incrementalEveryMinutes: 0, verifyEveryMinutes: 0 };
  const out = { ...DEFAULT_SCHEDULE };
  const keys = { full: 'fullEveryMinutes', incremental: 'incrementalEveryMinutes', verify: 'verifyEveryMinutes' } as const;
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(full|incremental|verify)=(\d{1,5})([mh])$/.exec(part);
    if (!m) throw new BbwsError('BACKUP_SCHEDULE_INVALID', undefined, { schedule: text.slice(0, 64) });
    out[keys[m[1] as keyof typeof keys]] = Number(m[2]) * (m[3] === 'h' ? 60 : 1);
  }
  return out;
}

/**
 * Where in its period a tenant's scheduled work falls: tenants are spread over the period by a
 * hash of their id, so a hundred tenants do not all start their backup at the top of the hour.
 */
export function scheduleOffsetMs(tenantId: string, periodMinutes: number): number {
  let h = 2166136261;
  for (let i = 0; i < tenantId.length; i++) h = Math.imul(h ^ tenantId.charCodeAt(i), 16777619) >>> 0;
  return (h % Math.max(1, periodMinutes * 60)) * 1000;
}

/** True when a tenant whose last run was at `lastAt` (ms, or null) is due at `now`. */
export function isDue(tenantId: string, periodMinutes: number, lastAt: number | null, now: number): boolean {
  if (periodMinutes <= 0) return false;
  const period = periodMinutes * 60_000;
  const slot = Math.floor((now - scheduleOffsetMs(tenantId, periodMinutes)) / period);
  const slotStart = slot * period + scheduleOffsetMs(tenantId, periodMinutes);
  return lastAt === null || lastAt < slotStart;
}
