/**
 * Options every command shares. They are declared once, on the program, so they work before or
 * after the subcommand (`bbws --data-dir X tenants list` and `bbws tenants list --data-dir X`);
 * a preAction hook copies them into the options of the command that runs.
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

const GLOBAL_OPTION_KEYS = ['dataDir', 'apiUrl', 'token', 'json'] as const;

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--data-dir <dir>', 'data dir of the platform (default ./.bbws or BBWS_DATA_DIR)')
    .option('--api-url <url>', 'API base URL (default: read from the data dir)')
    .option('--token <jwt>', 'bearer token (default: a platform-admin token minted from the data dir, or BBWS_TOKEN)')
    .option('--json', 'print JSON for scripts')
    .configureHelp({ showGlobalOptions: true })
    .hook('preAction', (root, action) => {
      const globals = root.opts<CommonOptions>();
      for (const key of GLOBAL_OPTION_KEYS) if (globals[key] !== undefined && action.getOptionValue(key) === undefined) action.setOptionValue(key, globals[key]);
    });
}

export function dataDirOf(options: CommonOptions): string {
  return resolve(options.dataDir || process.env.BBWS_DATA_DIR || './.bbws');
}

export function clientFor(options: CommonOptions): Promise<ApiClient> {
  return createApiClient({ dataDir: dataDirOf(options), apiUrl: options.apiUrl, token: options.token });
}
