/**
 * Keeps probing each running tenant (like an ALB target group health check): each one every
 * `intervalMs` (30 s by default), healthy after 2 successes, unhealthy after 3 failures.
 * Transitions become events: unhealthy → SERVICE_TASK_START_IMPAIRED, healthy again →
 * SERVICE_STEADY_STATE. A tenant watched as `unknown` (after a bbws restart: it may have been
 * reported unhealthy while bbws was down, or before) reports either way once it reaches a
 * threshold, so that a tenant FAILED by health returns to ACTIVE by itself when it serves again.
 */
import type { ProbeResult } from './probe.js';

export interface MonitorCallbacks {
  probe(tenantId: string): Promise<ProbeResult>;
  onUnhealthy(tenantId: string, reason: string): Promise<void>;
  onHealthy(tenantId: string): Promise<void>;
}

export type TenantHealth = 'healthy' | 'unhealthy' | 'unknown';

export interface HealthMonitor {
  /** Starts probing; `initial` 'healthy' (default: readiness just passed) or 'unknown' (restart). */
  watch(tenantId: string, initial?: 'healthy' | 'unknown'): void;
  unwatch(tenantId: string): void;
  /** Runs one round now (tests). */
  tick(): Promise<void>;
  states(): Map<string, TenantHealth>;
  stop(): void;
}

export const HEALTHY_THRESHOLD = 2;
export const UNHEALTHY_THRESHOLD = 3;

/** At most this many probes run at once (one per tenant); a round in `tick()` keeps to it too. */
export const MAX_PROBES_IN_FLIGHT = 4;

/**
 * Probes are spread over the interval: one tenant every `intervalMs / tenants`, round-robin, so
 * each is probed once per interval and never all at once. (A round of `Promise.all` over 1,000
 * tenants every 30 s was a burst of 1,000 WordPress requests and 1,000 forked php-fpm workers.)
 */
export function createHealthMonitor(cb: MonitorCallbacks, intervalMs = 30_000): HealthMonitor {
  const watched = new Map<string, { state: TenantHealth; ok: number; bad: number }>();
  const inFlight = new Set<string>();
  let cursor = watched.keys();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const probeOne = async (id: string) => {
    inFlight.add(id);
    try {
      const r = await cb.probe(id);
      const w = watched.get(id);
      if (!w) return;
      if (r.ok) {
        w.bad = 0;
        w.ok += 1;
        if (w.state !== 'healthy' && w.ok >= HEALTHY_THRESHOLD) {
          w.state = 'healthy';
          await cb.onHealthy(id);
        }
      } else {
        w.ok = 0;
        w.bad += 1;
        if (w.state !== 'unhealthy' && w.bad >= UNHEALTHY_THRESHOLD) {
          w.state = 'unhealthy';
          await cb.onUnhealthy(id, `health check failed ${w.bad} times: ${r.error ?? `HTTP ${r.status}`}`);
        }
      }
    } finally {
      inFlight.delete(id);
    }
  };

  /** The next watched tenant after the last one probed (Map iterators see later additions). */
  const nextTenant = (): string | undefined => {
    let n = cursor.next();
    if (n.done) {
      cursor = watched.keys();
      n = cursor.next();
    }
    return n.done ? undefined : n.value;
  };

  const step = () => {
    const id = inFlight.size < MAX_PROBES_IN_FLIGHT ? nextTenant() : undefined;
    // A tenant whose last probe has not answered yet is not probed twice.
    if (id !== undefined && !inFlight.has(id)) void probeOne(id).catch(() => undefined);
    schedule();
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(step, Math.max(1, intervalMs / Math.max(1, watched.size)));
    timer.unref();
  };
  schedule();

  return {
    watch: (id, initial = 'healthy') => void (watched.has(id) ? undefined : watched.set(id, { state: initial, ok: 0, bad: 0 })),
    unwatch: (id) => void watched.delete(id),
    async tick() {
      const ids = [...watched.keys()];
      let next = 0;
      await Promise.all(
        Array.from({ length: MAX_PROBES_IN_FLIGHT }, async () => {
          while (next < ids.length) {
            const id = ids[next++]!;
            if (!inFlight.has(id)) await probeOne(id);
          }
        }),
      );
    },
    states: () => new Map([...watched].map(([k, v]) => [k, v.state])),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
