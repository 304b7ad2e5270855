/**
 * Keeps probing each running tenant (like an ALB target group health check): every
 * `intervalMs` (30 s by default), healthy after 2 successes, unhealthy after 3 failures.
 * Transitions become events: unhealthy → SERVICE_TASK_START_IMPAIRED, healthy again →
 * SERVICE_STEADY_STATE.
 */
import type { ProbeResult } from './probe.js';

export interface MonitorCallbacks {
  probe(tenantId: string): Promise<ProbeResult>;
  onUnhealthy(tenantId: string, reason: string): Promise<void>;
  onHealthy(tenantId: string): Promise<void>;
}

export interface HealthMonitor {
  watch(tenantId: string): void;
  unwatch(tenantId: string): void;
  /** Runs one round now (tests). */
  tick(): Promise<void>;
  states(): Map<string, 'healthy' | 'unhealthy'>;
  stop(): void;
}

export const HEALTHY_THRESHOLD = 2;
export const UNHEALTHY_THRESHOLD = 3;

export function createHealthMonitor(cb: MonitorCallbacks, intervalMs = 30_000): HealthMonitor {
  const watched = new Map<string, { state: 'healthy' | 'unhealthy'; ok: number; bad: number }>();
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await Promise.all(
        [...watched.keys()].map(async (id) => {
          const r = await cb.probe(id);
          const w = watched.get(id);
          if (!w) return;
          if (r.ok) {
            w.bad = 0;
            w.ok += 1;
            if (w.state === 'unhealthy' && w.ok >= HEALTHY_THRESHOLD) {
              w.state = 'healthy';
              await cb.onHealthy(id);
            }
          } else {
            w.ok = 0;
            w.bad += 1;
            if (w.state === 'healthy' && w.bad >= UNHEALTHY_THRESHOLD) {
              w.state = 'unhealthy';
              await cb.onUnhealthy(id, `health check failed ${w.bad} times: ${r.error ?? `HTTP ${r.status}`}`);
            }
          }
        }),
      );
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick().catch(() => undefined), intervalMs);
  timer.unref();
  return {
    watch: (id) => void (watched.has(id) ? undefined : watched.set(id, { state: 'healthy', ok: 0, bad: 0 })),
    unwatch: (id) => void watched.delete(id),
    tick,
    states: () => new Map([...watched].map(([k, v]) => [k, v.state])),
    stop: () => clearInterval(timer),
  };
}
