/**
 * What the backup use cases need besides the site dependencies: the catalog (every process of the
 * data dir reads it) and the engine (only where the runtime runs), plus the retention policy and
 * schedule parsed from the configuration.
 */
import type { BackupSchedule, RetentionPolicy } from '../../domain/backup.js';
import { BbwsError } from '../../domain/errors.js';
import type { BackupCatalog, BackupEngine } from '../../ports/backups.js';
import type { SiteDeps } from '../sites/site-deps.js';

export interface BackupSettings {
  catalog: BackupCatalog;
  /** Null in a process that does not run the runtime (`bbws api` alone). */
  engine: BackupEngine | null;
  retention: RetentionPolicy;
  schedule: BackupSchedule;
}

export interface BackupDeps extends SiteDeps {
  backups: BackupSettings;
}

/** The deps with backups, or 503 RUNTIME_UNAVAILABLE where none are wired. */
export function withBackups(deps: SiteDeps): BackupDeps {
  if (!deps.backups) throw new BbwsError('RUNTIME_UNAVAILABLE');
  return deps as BackupDeps;
}

export function engineOf(deps: BackupDeps): BackupEngine {
  if (!deps.backups.engine) throw new BbwsError('RUNTIME_UNAVAILABLE');
  return deps.backups.engine;
}
