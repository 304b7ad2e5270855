/**
 * Backups of tenants, sites and the platform (docs/backups.md). Two ports:
 * - {@link BackupCatalog}: the records (what each backup holds and whether it was verified),
 *   readable by any process of the data dir (the API answers lists without the runtime);
 * - {@link BackupEngine}: the work, next to the runtime (database dumps, file trees, the
 *   encrypted repository). Adapter: `adapters/backup/` (restic + mariadb-dump on the local runtime).
 */
import type { BackupRecord, BackupReason, BackupType, RetentionPolicy } from '../domain/backup.js';

export interface BackupFilter {
  tenantId?: string;
  siteId?: string;
  scope?: BackupRecord['scope'];
}

export interface BackupCatalog {
  /** Newest first. */
  list(filter?: BackupFilter): Promise<BackupRecord[]>;
  get(backupId: string): Promise<BackupRecord | undefined>;
  /** Creates or replaces the record (atomically: a reader sees the old or the new one). */
  put(record: BackupRecord): Promise<void>;
  delete(backupId: string): Promise<void>;
}

/** Progress of long work: a step name and, while it runs, how far (0…1) when known. */
export type BackupProgress = (step: string, fraction?: number) => void;

export interface CreateBackupInput {
  backupId: string;
  tenantId: string;
  /** Only this site's tables and uploads. */
  siteId: string | null;
  type: BackupType;
  reason: BackupReason;
  parentId: string | null;
  sites: BackupRecord['sites'];
  spec: Record<string, unknown> | null;
}

export interface RehomedSite {
  siteId: string;
  /** The site's primary host name in the backup, and in the new tenant. */
  fromHost: string;
  toHost: string;
  adminPassword: string;
}

export interface PruneResult {
  /** Backups removed (or, in a dry run, that would be). */
  removed: BackupRecord[];
  kept: number;
}

export interface BackupEngine {
  /** Dumps, snapshots and records one backup; on failure nothing of it stays (no snapshot, no record). */
  createBackup(input: CreateBackupInput, progress?: BackupProgress): Promise<BackupRecord>;
  /**
   * Restores the backup into a scratch database and directory, compares every table (rows,
   * checksum) and the file tree (hashes), then serves the copy on a scratch route and checks
   * each site's homepage (`verification.homepages`), records the result on the backup and removes
   * the scratch copy. Resolves with the updated record also when verification failed.
   */
  verifyBackup(backupId: string, progress?: BackupProgress): Promise<BackupRecord>;
  /** Puts the backup's database and files back over its tenant (or site). Verifies before it swaps anything in. */
  restoreInPlace(backupId: string, progress?: BackupProgress): Promise<void>;
  /**
   * Restores a tenant backup into another (new, empty, provisioned) tenant, leaving the original
   * untouched: database and content, then each site re-homed to its new host name with its users'
   * passwords and sessions rotated (the admin's new password is `adminPassword`).
   */
  restoreToNewTenant(backupId: string, targetTenantId: string, sites: RehomedSite[], progress?: BackupProgress): Promise<Array<{ siteId: string; adminUser: string | null }>>;
  /** Applies the retention policy to every group (tenant or site, per scope); checkpoints included. */
  prune(policy: RetentionPolicy, options: { dryRun: boolean }): Promise<PruneResult>;
  /** Removes these backups (snapshots and records) now, whatever the retention policy says (aggressive cleanup). */
  deleteBackups(backupIds: readonly string[]): Promise<void>;
  /** Removes what a killed run left: scratch databases and directories, stale repository locks, snapshots without a record. */
  cleanupLeftovers(): Promise<string[]>;
}
