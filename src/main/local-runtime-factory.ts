/**
 * The embedded default runtime: real MariaDB, php-fpm and nginx on this host, with secrets in
 * the data dir's encrypted store.
 */
import { join } from 'node:path';
import { startLocalRuntime } from '../adapters/runtime/local/local-runtime.js';
import { createLocalSecrets } from '../adapters/secrets/local.js';
import type { RuntimeFactory } from './platform.js';

export const createLocalRuntime: RuntimeFactory = async ({ config, emit, logger }) => {
  const secrets = createLocalSecrets({ dir: join(config.dataDir, 'secrets') });
  return startLocalRuntime({ config, secrets, emit, logger });
};
