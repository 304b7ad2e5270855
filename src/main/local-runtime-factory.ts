/**
 * The embedded default runtime: real MariaDB, php-fpm and nginx on this host, and WordPress sites
 * on top of it.
 */
import { startLocalRuntime, type LocalRuntime } from '../adapters/runtime/local/local-runtime.js';
import { createLocalWordPress } from '../adapters/wordpress/local/local-wordpress.js';
import { createLocalBackupEngine } from '../adapters/backup/local-backup-engine.js';
import type { BackupEngineFactory, RuntimeFactory, WordPressFactory } from './platform.js';

export const createLocalRuntime: RuntimeFactory = async ({ config, emit, logger, secrets }) => startLocalRuntime({ config, secrets, emit, logger });

export const createLocalSites: WordPressFactory = ({ config, runtime, logger, secrets, metrics }) =>
  createLocalWordPress({
    runtime: runtime as LocalRuntime,
    secrets,
    config,
    logger,
    onLatency: (ms, method) => metrics.observe('WordPressAPILatency', ms, { method }),
  });

export const createLocalBackups: BackupEngineFactory = ({ config, runtime, logger, secrets, catalog }) =>
  createLocalBackupEngine({ runtime: runtime as LocalRuntime, secrets, catalog, logger, env: config.env, dataDir: config.dataDir, repository: config.backup?.repository ?? undefined });
