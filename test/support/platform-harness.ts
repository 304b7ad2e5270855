/**
 * Starts the real platform (SQLite file, real HTTP on an ephemeral port) in a temp data dir with
 * the scripted runtime double, and cleans everything up.
 */
import { pollUntil } from './poll.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenAuthority, loadOrCreateSigningKey } from '../../src/adapters/auth/jwt.js';
import type { Role } from '../../src/domain/auth.js';
import { parseConfig } from '../../src/main/config.js';
import { createLogger } from '../../src/main/logger.js';
import { type RunningPlatform, startPlatform } from '../../src/main/platform.js';
import type { StateSettings } from '../../src/main/state-settings.js';
import { createScriptedRuntime, type ScriptedRuntime } from './scripted-runtime.js';

export interface Harness {
  dataDir: string;
  apiUrl: string;
  platform: RunningPlatform;
  runtime: ScriptedRuntime;
  token(role?: Role, tenantId?: string, ttlSeconds?: number): Promise<string>;
  request(method: string, path: string, options?: { body?: unknown; raw?: string; token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  waitForOperation(operationId: string): Promise<any>;
  /** Moves the platform's clock (use cases, token expiry) forward: real time plus this offset. */
  advanceClock(ms: number): void;
  stop(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}, extra: { state?: StateSettings } = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bbws-test-'));
  const config = parseConfig({ dataDir, apiPort: 0, edgePort: 0 }, { BBWS_RATE_LIMIT: '0', ...env });
  let runtime!: ScriptedRuntime;
  let clockOffsetMs = 0;
  const now = () => Date.now() + clockOffsetMs;
  let platform: RunningPlatform;
  try {
    platform = await startPlatform({
      config,
      roles: ['api', 'worker', 'events', 'reconciler'],
      state: extra.state,
      logger: createLogger({ level: 'info', dataDir, stdout: false }),
      reconcileIntervalMs: 200,
      now,
      createRuntime: async ({ emit }) => (runtime = createScriptedRuntime(emit)),
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const authority = createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key')), { now });
  const adminToken = await authority.sign({ role: 'platform-admin' }, 3600);
  const h: Harness = {
    dataDir,
    apiUrl: platform.apiUrl!,
    platform,
    runtime,
    token: (role = 'platform-admin', tenantId, ttl = 3600) => authority.sign({ role, tenantId }, ttl),
    async request(method, path, options = {}) {
      const token = options.token === undefined ? adminToken : options.token;
      const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers };
      let body: string | undefined = options.raw;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(h.apiUrl + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON (e.g. /metrics) */
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    waitFor: (what, fn, timeoutMs = 10_000) => pollUntil(what, fn, timeoutMs, 20) as never,
    async waitForOperation(operationId) {
      return h.waitFor(`operation ${operationId} to finish`, async () => {
        const r = await h.request('GET', `/v1.0/operations/${operationId}`);
        return r.body.status === 'SUCCEEDED' || r.body.status === 'FAILED' ? r.body : undefined;
      });
    },
    advanceClock(ms) {
      clockOffsetMs += ms;
    },
    async stop() {
      try {
        await platform.stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
  return h;
}
