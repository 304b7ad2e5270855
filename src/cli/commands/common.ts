/**
 * What every command's action reads of the options all commands share (declared on the program
 * by ../global-options.ts): the data dir, and a client of the API.
 */
import { resolve } from 'node:path';
import { createApiClient, type ApiClient } from '../api-client.js';

export interface CommonOptions {
  dataDir?: string;
  apiUrl?: string;
  token?: string;
  json?: boolean;
}

export function dataDirOf(options: CommonOptions): string {
  return resolve(options.dataDir || process.env.BBWS_DATA_DIR || './.bbws');
}

export function clientFor(options: CommonOptions): Promise<ApiClient> {
  return createApiClient({ dataDir: dataDirOf(options), apiUrl: options.apiUrl, token: options.token });
}
