/**
 * What the backup use cases need: the site dependencies with their backup settings present.
 */
import { BbwsError } from '../../domain/errors.js';
import type { BackupEngine } from '../../ports/backups.js';
import type { SiteDeps } from '../sites/site-deps.js';
import type { BackupSettings } from './backup-settings.js';

export type { BackupSettings };

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
