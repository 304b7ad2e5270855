/**
 * Gauges the alarms read that no other role sets: each component's health (1 up, 0 down), the
 * data dir's free disk percent, the process's memory against its limit, the operations open
 * past their deadline, and the tenants whose backups are overdue or failed. Set before every evaluation, and so also on GET /metrics for Prometheus.
 */
import type { Metrics } from '../ports/metrics.js';
import type { ComponentHealth } from '../ports/runtime.js';
import type { Store } from '../ports/store.js';
import { processMemoryLimitMb } from './memory-limit.js';

export interface AlarmGaugeSources {
  metrics: Metrics;
  store: Store;
  now: () => number;
  health: () => Promise<ComponentHealth[]>;
  /** Free percent of the data dir's file system. */
  diskFreePercent: () => Promise<number | null>;
  /** ACTIVE tenants with a backup problem (app/backups/backup-health.ts). */
  backupProblemTenants?: () => Promise<number>;
}

export async function refreshAlarmGauges(src: AlarmGaugeSources): Promise<void> {
  for (const c of await src.health()) src.metrics.setGauge('bbws_component_up', c.status === 'down' ? 0 : 1, { component: c.name });
  const free = await src.diskFreePercent();
  if (free !== null) src.metrics.setGauge('bbws_disk_free_percent', Math.round(free * 100) / 100);
  const limitMb = processMemoryLimitMb();
  if (limitMb > 0) src.metrics.setGauge('bbws_memory_used_percent', Math.round((10_000 * process.memoryUsage.rss()) / (limitMb * 2 ** 20)) / 100);
  const now = src.now();
  const stuck = (await src.store.listOpenOperations()).filter((op) => Date.parse(op.deadlineAt) <= now).length;
  src.metrics.setGauge('bbws_operations_past_deadline', stuck);
  if (src.backupProblemTenants) src.metrics.setGauge('bbws_backup_problem_tenants', await src.backupProblemTenants());
}
