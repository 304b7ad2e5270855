/**
 * Alarm evaluator cost with 1,000 tenants present (issue 14 target: < 1 % of one core). One
 * evaluation = what the role does each tick (BBWS_ALARM_INTERVAL_SECONDS, default 60): refresh
 * the health gauges (store ping, queue stats, open operations of a real SQLite store holding
 * 1,000 tenants, instances and 100 open operations), snapshot the metrics (a registry with
 * per-tenant series: 1,000 × 3 routes of HTTP counters, WordPress latency histograms), store one
 * sample per alarm and evaluate every alarm. Baseline in the same run: rendering GET /metrics of
 * the same registry (what a Prometheus scrape costs the process).
 *
 *   node --import tsx bench/alarms.bench.ts [--tenants 1000] [--ticks 60] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteAlarmStore } from '../src/adapters/alarms/sqlite-alarms.js';
import { createPrometheusMetrics } from '../src/adapters/metrics/prometheus.js';
import { createSqliteQueue } from '../src/adapters/queue/sqlite.js';
import { openSqliteDatabase } from '../src/adapters/sqlite/database.js';
import { createSqliteStore } from '../src/adapters/store/sqlite.js';
import { createAlarmEvaluator } from '../src/app/alarms/evaluate-alarms.js';
import { queueDefinitions } from '../src/domain/queues.js';
import { refreshAlarmGauges } from '../src/main/alarm-gauges.js';
import { makeInstance, makeOperation, makeTenant } from '../test/support/store-records.js';
import { silentLogger } from '../test/support/local-runtime-harness.js';
import { median } from './lib/stats.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : Number(fallback);
};
const TENANTS = arg('tenants', '1000');
const TICKS = arg('ticks', '60');
const INTERVAL_S = 60;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-alarms-bench-'));
  const db = openSqliteDatabase(join(dir, 'state.db'));
  try {
    const definitions = queueDefinitions('dev');
    const store = createSqliteStore({ db, queueDefinitions: definitions });
    const queue = createSqliteQueue({ db, definitions });
    for (let i = 0; i < TENANTS; i++) {
      const id = `tenant${i}`;
      await store.commit([
        { kind: 'putTenant', tenant: makeTenant(id), expectedVersion: null },
        { kind: 'putInstance', instance: makeInstance(id, { provisioningState: 'ACTIVE' }), expectedVersion: null },
        ...(i % 10 === 0 ? [{ kind: 'putOperation' as const, operation: makeOperation(`op${i}`, id, { status: 'IN_PROGRESS', deadlineAt: '2100-01-01T00:00:00.000Z' }), expectedVersion: null }] : []),
      ]);
    }
    const metrics = createPrometheusMetrics();
    for (let i = 0; i < TENANTS; i++) {
      for (const route of ['/v1.0/tenants/:tenantId', '/v1.0/tenants/:tenantId/sites', '/v1.0/tenants/:tenantId/sites/:siteId']) {
        metrics.increment('bbws_http_requests_total', { method: 'GET', route: `${route}#${i}`, status: 200 }, 10);
      }
    }
    for (const method of ['installSite', 'updateSite', 'cloneSite', 'backupSite', 'runCron']) metrics.observe('WordPressAPILatency', 120, { method });
    const alarms = createSqliteAlarmStore(db);
    let now = Date.parse('2030-01-01T00:00:00.000Z');
    const health = async () => {
      await store.ping();
      const out = [{ name: 'store', status: 'ok' as const }];
      for (const def of queue.definitions()) await queue.stats(def.name);
      return out;
    };
    const evaluator = createAlarmEvaluator({ alarms, logger: silentLogger(), notifier: null, now: () => now, readMetrics: () => metrics.snapshot() });
    const perTick: number[] = [];
    for (let t = 0; t < TICKS; t++) {
      now += INTERVAL_S * 1000;
      metrics.increment('bbws_http_requests_total', { method: 'GET', route: '/v1.0/tenants/:tenantId#1', status: 200 }, 5);
      const before = cpuMs();
      await refreshAlarmGauges({ metrics, store, now: () => now, health, diskFreePercent: async () => 50 });
      await evaluator.tick();
      perTick.push(cpuMs() - before);
    }
    const scrape: number[] = [];
    for (let t = 0; t < Math.min(TICKS, 20); t++) {
      const before = cpuMs();
      await metrics.render();
      scrape.push(cpuMs() - before);
    }
    const series = (await metrics.snapshot()).length;
    const tickMs = median(perTick);
    const report = {
      tenants: TENANTS,
      series,
      ticks: TICKS,
      intervalSeconds: INTERVAL_S,
      tickCpuMsMedian: tickMs,
      tickCpuMsP95: [...perTick].sort((a, b) => a - b)[Math.floor(perTick.length * 0.95)],
      percentOfOneCore: (100 * tickMs) / (INTERVAL_S * 1000),
      scrapeCpuMsMedian: median(scrape),
      tickVsScrape: tickMs / median(scrape),
      targetPercent: 1,
    };
    if (process.argv.includes('--json')) return void process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${TENANTS} tenants, ${series} series, ${TICKS} evaluations every ${INTERVAL_S} s\n`);
    process.stdout.write(`evaluation: median ${tickMs.toFixed(1)} ms CPU (p95 ${report.tickCpuMsP95.toFixed(1)} ms) = ${report.percentOfOneCore.toFixed(3)} % of one core (target < 1 %)\n`);
    process.stdout.write(`baseline: one GET /metrics render ${report.scrapeCpuMsMedian.toFixed(1)} ms CPU; evaluation / render = ${report.tickVsScrape.toFixed(2)}\n`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
