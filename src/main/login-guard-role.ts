/**
 * Runs the edge's brute-force guard (adapters/runtime/local/login-guard.ts) beside the worker:
 * every failed WordPress login goes to the audit log (`LOGIN_FAILED`: tenant, host, user name,
 * address), and so do blocks and their end (`LOGIN_BLOCKED`, `LOGIN_UNBLOCKED`), which are also
 * logged and counted (`bbws_login_failures_total`, `bbws_login_blocks_total`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createLoginGuard } from '../adapters/runtime/local/login-guard.js';
import { layoutAt, runtimeRootOf } from '../adapters/runtime/local/layout.js';
import type { PlatformConfig } from '../domain/config.js';
import type { AuditLog } from '../ports/audit.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';

const DEFAULTS = { maxFailures: 5, windowMinutes: 5, blockMinutes: 15 };
const POLL_MS = 1_000;

export async function runLoginGuard(config: PlatformConfig, deps: { audit: AuditLog; logger: Logger; metrics: Metrics }, signal: AbortSignal): Promise<void> {
  const settings = config.loginGuard ?? DEFAULTS;
  const layout = layoutAt(runtimeRootOf(config.dataDir));
  const system = { subject: 'login-guard', role: 'platform', tenantId: null };
  const guard = createLoginGuard({
    edgeDir: layout.edgeDir,
    routesDir: layout.edgeRoutes,
    maxFailures: settings.maxFailures,
    windowMs: settings.windowMinutes * 60_000,
    blockMs: settings.blockMinutes * 60_000,
    onFailure: (f) => {
      deps.metrics.increment('bbws_login_failures_total');
      deps.audit.record({ actor: null, sourceIp: f.ip, action: 'LOGIN_FAILED', target: `${f.host}${f.uri.split('?')[0]}`.slice(0, 512), tenantId: f.tenantId, result: { statusCode: f.status, errorCode: null }, correlationId: null, details: { host: f.host, user: f.user.slice(0, 100), at: f.time } });
    },
    onBlock: (b) => {
      deps.metrics.increment('bbws_login_blocks_total');
      deps.logger.warn({ action: 'LOGIN_BLOCKED', tenantId: b.tenantId ?? undefined, host: b.host, ip: b.ip, failures: b.failures, until: b.until, status: 'OK' }, `brute force: ${b.ip} blocked on ${b.host} until ${b.until} after ${b.failures} failed logins`);
      deps.audit.record({ actor: system, sourceIp: b.ip, action: 'LOGIN_BLOCKED', target: b.host, tenantId: b.tenantId, result: { statusCode: 429, errorCode: null }, correlationId: null, details: { failures: b.failures, until: b.until } });
    },
    onUnblock: (b) => {
      deps.audit.record({ actor: system, sourceIp: b.ip, action: 'LOGIN_UNBLOCKED', target: b.host, tenantId: null, result: { statusCode: 200, errorCode: null }, correlationId: null });
    },
  });
  while (!signal.aborted) {
    try {
      guard.poll();
    } catch (err) {
      deps.logger.error({ action: 'LOGIN_GUARD', status: 'ERROR', err: (err as Error).message }, 'login guard: could not read the failed-login log');
    }
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}
