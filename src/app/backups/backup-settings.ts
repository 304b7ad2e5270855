/**
 * The backup part of the use cases' dependencies: the catalog (every process of the data dir reads
 * it), the engine (only where the runtime runs) and the policy parsed from the configuration.
 * Its own file so that site-deps.ts can carry it without importing the backup use cases.
 */
import type { BackupSchedule, RetentionPolicy } from '../../domain/backup.js';
import type { BackupCatalog, BackupEngine } from '../../ports/backups.js';
import type { Runtime } from '../../ports/runtime.js';

export interface BackupSettings {
  catalog: BackupCatalog;
  /** Null in a process that does not run the runtime (`bbws api` alone). */
  engine: BackupEngine | null;
  /** The runtime, for secret rotation (set with the engine, where the runtime runs). */
  runtime?: Runtime | null;
  retention: RetentionPolicy;
  schedule: BackupSchedule;
}
