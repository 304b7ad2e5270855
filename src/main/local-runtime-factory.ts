/**
 * The embedded default runtime: real MariaDB, php-fpm and nginx on this host, and WordPress sites
 * on top of it.
 */
import { startLocalRuntime, type LocalRuntime } from '../adapters/runtime/local/local-runtime.js';
import { createLocalWordPress } from '../adapters/wordpress/local/local-wordpress.js';
import type { RuntimeFactory, WordPressFactory } from './platform.js';

export const createLocalRuntime: RuntimeFactory = async ({ config, emit, logger, secrets }) => startLocalRuntime({ config, secrets, emit, logger });

export const createLocalSites: WordPressFactory = ({ config, runtime, logger, secrets, metrics }) =>
  createLocalWordPress({
    runtime: runtime as LocalRuntime,
    secrets,
    config,
    logger,
    onLatency: (ms, method, outcome) => {
      metrics.observe('WordPressAPILatency', ms, { method });
      metrics.increment('WordPressAPICalls', { outcome });
    },
  });
