/**
 * Runs the count of the edge's answers over a tenant's limit (adapters/runtime/local/
 * limit-responses.ts) beside the worker: each second, what was answered since goes to
 * `bbws_edge_limit_responses_total{tenant, limit, status}` (alarms bbws-wp-tenant-rate-limited and
 * bbws-wp-tenant-request-too-large read it) and to one `TENANT_LIMITED` warning per tenant and limit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { layoutAt, runtimeRootOf } from '../adapters/runtime/local/layout.js';
import { createLimitResponseWatch } from '../adapters/runtime/local/limit-responses.js';
import type { PlatformConfig } from '../domain/config.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';

const POLL_MS = 1_000;

export async function runLimitResponseWatch(config: PlatformConfig, deps: { logger: Logger; metrics: Metrics }, signal: AbortSignal): Promise<void> {
  const layout = layoutAt(runtimeRootOf(config.dataDir));
  const watch = createLimitResponseWatch({ edgeDir: layout.edgeDir, routesDir: layout.edgeRoutes });
  while (!signal.aborted) {
    try {
      for (const r of watch.poll()) {
        deps.metrics.increment('bbws_edge_limit_responses_total', { tenant: r.tenantId ?? '', limit: r.limit, status: r.status }, r.count);
        deps.logger.warn(
          { action: 'TENANT_LIMITED', tenantId: r.tenantId ?? undefined, limit: r.limit, responseStatus: r.status, count: r.count, status: 'OK' },
          `tenant ${r.tenantId ?? '(no route)'} over its ${r.limit} limit: ${r.count} × ${r.status} at the edge`,
        );
      }
    } catch (err) {
      deps.logger.error({ action: 'LIMIT_RESPONSES', status: 'ERROR', err: (err as Error).message }, 'limit responses: could not read the edge log');
    }
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}
