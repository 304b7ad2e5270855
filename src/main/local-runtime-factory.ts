/**
 * The embedded default runtime: real MariaDB, php-fpm and nginx on this host, and WordPress sites
 * on top of it.
 */
import { startLocalRuntime, type LocalRuntime, type WordPressHost } from '../adapters/runtime/local/local-runtime.js';
import { createLocalWordPress } from '../adapters/wordpress/local/local-wordpress.js';
import { createLocalBackupEngine } from '../adapters/backup/local-backup-engine.js';
import type { BackupEngineFactory, RuntimeFactory, WordPressFactory } from './platform.js';

export const createLocalRuntime: RuntimeFactory<LocalRuntime> = async ({ config, emit, logger, secrets, metrics }) => startLocalRuntime({ config, secrets, emit, logger, metrics });

/** Needs only the {@link WordPressHost} part of the local runtime. */
export const createLocalSites: WordPressFactory<WordPressHost> = ({ config, runtime, logger, secrets, metrics }) =>
  createLocalWordPress({
    runtime,
    secrets,
    config,
    logger,
    onLatency: (ms, method, outcome) => {
      metrics.observe('WordPressAPILatency', ms, { method });
      metrics.increment('WordPressAPICalls', { outcome });
    },
  });

export const createLocalBackups: BackupEngineFactory = ({ config, runtime, logger, secrets, catalog }) =>
  createLocalBackupEngine({ runtime: runtime as LocalRuntime, secrets, catalog, logger, env: config.env, dataDir: config.dataDir, repository: config.backup?.repository ?? undefined });
