/**
 * The health monitor's schedule (real timers, a probe that records when it runs): probes spread
 * over the interval, each tenant once per interval, a bounded number in flight; thresholds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHealthMonitor, MAX_PROBES_IN_FLIGHT, type HealthMonitor } from '../../src/adapters/runtime/local/health-monitor.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('health monitor', () => {
  let monitor: HealthMonitor | undefined;
  afterEach(() => monitor?.stop());

  it('a tenant watched as unknown (after a restart) reports healthy after 2 successes, unhealthy after 3 failures', async () => {
    const events: string[] = [];
    let ok = true;
    monitor = createHealthMonitor(
      { probe: async () => ({ ok, status: ok ? 302 : 502 }), onHealthy: async (id) => void events.push(`healthy ${id}`), onUnhealthy: async (id) => void events.push(`unhealthy ${id}`) },
      60_000,
    );
    monitor.watch('a', 'unknown');
    monitor.watch('b');
    await monitor.tick();
    expect(events).toEqual([]);
    await monitor.tick();
    expect(events).toEqual(['healthy a']); // b started healthy: nothing to report
    ok = false;
    monitor.watch('c', 'unknown');
    for (let i = 0; i < 3; i++) await monitor.tick();
    expect(events.slice(1).sort()).toEqual(['unhealthy a', 'unhealthy b', 'unhealthy c']);
  });

  it('spreads probes over the interval: each tenant about once per interval, never in a burst', async () => {
    const starts: Array<{ id: string; at: number }> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    monitor = createHealthMonitor(
      {
        probe: async (id) => {
          starts.push({ id, at: performance.now() });
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          await sleep(5);
          inFlight--;
          return { ok: true, status: 302 };
        },
        onHealthy: async () => undefined,
        onUnhealthy: async () => undefined,
      },
      400,
    );
    const ids = Array.from({ length: 10 }, (_, i) => `t${i}`);
    ids.forEach((id) => monitor!.watch(id));
    await sleep(1_250);
    monitor.stop();
    // ~3 rounds of 10 in 1.25 s at one probe per 40 ms.
    const perTenant = ids.map((id) => starts.filter((s) => s.id === id).length);
    for (const n of perTenant) expect(n).toBeGreaterThanOrEqual(2), expect(n).toBeLessThanOrEqual(4);
    const gaps = starts.slice(1).map((s, i) => s.at - starts[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThan(20); // spaced ~40 ms apart, not all at once
    expect(maxInFlight).toBe(1);
  });

  it('tick() probes every tenant at most MAX_PROBES_IN_FLIGHT at a time; 3 failures → unhealthy, 2 successes → healthy', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let ok = false;
    const events: string[] = [];
    monitor = createHealthMonitor(
      {
        probe: async () => {
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          await sleep(2);
          inFlight--;
          return ok ? { ok: true, status: 302 } : { ok: false, status: 500 };
        },
        onHealthy: async (id) => void events.push(`healthy ${id}`),
        onUnhealthy: async (id, reason) => void events.push(`unhealthy ${id}: ${reason}`),
      },
      3_600_000,
    );
    for (let i = 0; i < 20; i++) monitor.watch(`t${i}`);
    for (let i = 0; i < 3; i++) await monitor.tick();
    expect(maxInFlight).toBe(MAX_PROBES_IN_FLIGHT);
    expect(events.filter((e) => e.startsWith('unhealthy'))).toHaveLength(20);
    expect(events[0]).toMatch(/health check failed 3 times: HTTP 500/);
    ok = true;
    await monitor.tick();
    expect(monitor.states().get('t0')).toBe('unhealthy');
    await monitor.tick();
    expect([...monitor.states().values()].every((s) => s === 'healthy')).toBe(true);
  });
});
