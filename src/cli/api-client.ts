/**
 * How `bbws` commands reach the running platform: the API URL from `--api-url` or from
 * `<dataDir>/platform.json` (written by `bbws up`), and a short-lived platform-admin token minted
 * from the data dir's signing key unless `--token` / BBWS_TOKEN is given.
 *
 * Kept light on purpose (startup time of every command, docs/benchmarks.md "CLI start"): node:http
 * instead of fetch (undici costs ~50 ms to load), loaded by the first request; the token signer
 * (node:crypto) is loaded only to mint.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformFile } from '../main/platform-file.js';

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

/** An error answer of the API, with its stable code. */
export class ApiError extends CliError {
  constructor(message: string, readonly status: number, readonly code: string) {
    super(message);
  }
}

export interface ApiClient {
  request<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

/** Lifetime of the tokens the CLI mints for itself (BBWS_CLI_TOKEN_TTL seconds, default 300). */
export function cliTokenTtlSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.BBWS_CLI_TOKEN_TTL;
  if (raw === undefined || raw === '') return 300;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) throw new CliError(`BBWS_CLI_TOKEN_TTL must be a whole number of seconds between 1 and 86400 (got "${raw}").`, 2);
  return n;
}

export function resolveApiUrl(options: ClientOptions): string {
  if (options.apiUrl) return options.apiUrl.replace(/\/$/, '');
  const file = platformFile(options.dataDir);
  if (!existsSync(file)) {
    throw new CliError(`No running platform found for data dir ${options.dataDir} (no ${file}). Start it with \`bbws up --data-dir ${options.dataDir}\`, or pass --api-url.`);
  }
  return (JSON.parse(readFileSync(file, 'utf8')) as { apiUrl: string }).apiUrl;
}

interface TokenSource {
  /** A token valid for a while yet: minted again when the last one nears its expiry. */
  current(): Promise<string>;
  /** After a 401 TOKEN_EXPIRED: a new token, or null when the token is the caller's own. */
  renew(): Promise<string | null>;
}

/**
 * The CLI's own tokens: one subject per CLI process (`bbws-cli:<random>`), so concurrent scripts do
 * not share one rate-limit bucket, and a new token whenever the current one has less than a third
 * of its lifetime left, so `--wait` on a long operation outlives any one token.
 */
function mintingTokenSource(keyFile: string, ttlSeconds: number): TokenSource {
  let subject: string | null = null;
  let token: string | null = null;
  let renewAtMs = 0;
  const mint = async () => {
    // node:crypto only, not jose (its verifying half): docs/benchmarks.md "CLI start".
    const { loadOrCreateSigningKey, signToken, uniqueSubject } = await import('../adapters/auth/jwt-sign.js');
    subject ??= uniqueSubject('bbws-cli');
    token = signToken(loadOrCreateSigningKey(keyFile), { role: 'platform-admin', subject }, ttlSeconds);
    renewAtMs = Date.now() + (ttlSeconds * 1000 * 2) / 3;
    return token;
  };
  return {
    current: async () => (token && Date.now() < renewAtMs ? token : mint()),
    renew: mint,
  };
}

function tokenSourceFor(options: ClientOptions): TokenSource {
  const given = options.token ?? process.env.BBWS_TOKEN;
  if (given) return { current: async () => given, renew: async () => null };
  const keyFile = join(options.dataDir, 'jwt.key');
  if (!existsSync(keyFile)) throw new CliError(`No signing key at ${keyFile}; pass --token or use the data dir the platform runs with.`);
  return mintingTokenSource(keyFile, cliTokenTtlSeconds());
}

interface RawResponse {
  status: number;
  text: string;
}

async function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined): Promise<RawResponse> {
  // node:http and node:https are loaded by the first request, not by `bbws --help`.
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: body !== undefined ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return null;
  }
}

export async function createApiClient(options: ClientOptions): Promise<ApiClient> {
  const base = resolveApiUrl(options);
  const tokens = tokenSourceFor(options);
  const attempt = async (token: string, method: string, path: string, body: unknown, headers: Record<string, string>) => {
    try {
      return await send(
        new URL(base + path),
        method,
        { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body !== undefined ? JSON.stringify(body) : undefined,
      );
    } catch (err) {
      throw new CliError(`Cannot reach the API at ${base} (${(err as Error).message}). Is \`bbws up\` running?`);
    }
  };
  return {
    async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
      let res = await attempt(await tokens.current(), method, path, body, headers);
      let json = parseJson(res.text);
      if (res.status === 401 && (json?.error as { code?: string } | undefined)?.code === 'TOKEN_EXPIRED') {
        // Only a token we minted ourselves can be renewed; a request refused as 401 changed nothing.
        const renewed = await tokens.renew();
        if (!renewed) throw new CliError('401 TOKEN_EXPIRED: the token given with --token or BBWS_TOKEN has expired; create a new one with `bbws token create --ttl 1h`.');
        res = await attempt(renewed, method, path, body, headers);
        json = parseJson(res.text);
      }
      if (res.status < 200 || res.status > 299) {
        const e = (json?.error ?? {}) as { code?: string; message?: string; details?: unknown; correlationId?: string };
        const details = e.details && Object.keys(e.details as object).length ? ` ${JSON.stringify(e.details)}` : '';
        throw new ApiError(`${res.status} ${e.code ?? 'ERROR'}: ${e.message ?? res.text}${details} (correlation id ${e.correlationId ?? 'n/a'})`, res.status, e.code ?? 'ERROR');
      }
      if (json === null) throw new CliError(`The API at ${base} answered ${method} ${path} with something that is not JSON; is --api-url right?`);
      return json as T;
    },
  };
}
