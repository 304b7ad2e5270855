/**
 * How `bbws` commands reach the running platform: the API URL from `--api-url` or from
 * `<dataDir>/platform.json` (written by `bbws up`), and a short-lived platform-admin token minted
 * from the data dir's signing key unless `--token` / BBWS_TOKEN is given.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTokenAuthority, loadOrCreateSigningKey } from '../adapters/auth/jwt.js';
import { platformFile } from '../main/platform.js';

export interface ClientOptions {
  dataDir: string;
  apiUrl?: string;
  token?: string;
}

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export interface ApiClient {
  request<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

export function resolveApiUrl(options: ClientOptions): string {
  if (options.apiUrl) return options.apiUrl.replace(/\/$/, '');
  const file = platformFile(options.dataDir);
  if (!existsSync(file)) {
    throw new CliError(`No running platform found for data dir ${options.dataDir} (no ${file}). Start it with \`bbws up --data-dir ${options.dataDir}\`, or pass --api-url.`);
  }
  return (JSON.parse(readFileSync(file, 'utf8')) as { apiUrl: string }).apiUrl;
}

export async function createApiClient(options: ClientOptions): Promise<ApiClient> {
  const base = resolveApiUrl(options);
  let token = options.token ?? process.env.BBWS_TOKEN;
  if (!token) {
    const keyFile = join(options.dataDir, 'jwt.key');
    if (!existsSync(keyFile)) throw new CliError(`No signing key at ${keyFile}; pass --token or use the data dir the platform runs with.`);
    token = await createTokenAuthority(loadOrCreateSigningKey(keyFile)).sign({ role: 'platform-admin', subject: 'bbws-cli' }, 300);
  }
  return {
    async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
      let res: Response;
      try {
        res = await fetch(base + path, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
          body: body !== undefined ? JSON.stringify(body) : undefined,
        });
      } catch (err) {
        throw new CliError(`Cannot reach the API at ${base} (${(err as Error).message}). Is \`bbws up\` running?`);
      }
      const text = await res.text();
      const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      if (!res.ok) {
        const e = (json.error ?? {}) as { code?: string; message?: string; details?: unknown; correlationId?: string };
        const details = e.details && Object.keys(e.details as object).length ? ` ${JSON.stringify(e.details)}` : '';
        throw new CliError(`${res.status} ${e.code ?? 'ERROR'}: ${e.message ?? text}${details} (correlation id ${e.correlationId ?? 'n/a'})`);
      }
      return json as T;
    },
  };
}
