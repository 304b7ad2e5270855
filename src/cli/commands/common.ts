/**
 * Options every client command shares.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { createApiClient, type ApiClient } from '../api-client.js';

export interface CommonOptions {
  dataDir?: string;
  apiUrl?: string;
  token?: string;
  json?: boolean;
}

export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data dir of the platform (default ./.bbws or BBWS_DATA_DIR)')
    .option('--api-url <url>', 'API base URL (default: read from the data dir)')
    .option('--token <jwt>', 'bearer token (default: a platform-admin token minted from the data dir, or BBWS_TOKEN)')
    .option('--json', 'print JSON for scripts');
}

export function dataDirOf(options: CommonOptions): string {
  return resolve(options.dataDir ?? process.env.BBWS_DATA_DIR ?? './.bbws');
}

export function clientFor(options: CommonOptions): Promise<ApiClient> {
  return createApiClient({ dataDir: dataDirOf(options), apiUrl: options.apiUrl, token: options.token });
}
