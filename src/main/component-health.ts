/**
 * What /health reports of a platform (and the alarm gauges read): the data dir's disk, the store,
 * the dead-letter queues, alarms in ALARM, secrets past the rotation policy, every tenant's
 * backups, the roles running and the runtime's servers.
 */
import { statfs } from 'node:fs/promises';
import { firingAlarms } from '../app/alarms/alarm-commands.js';
import { backupsHealthOf } from '../app/backups/backup-health.js';
import { DEFAULT_SECRET_MAX_AGE_DAYS, secretsHealth } from '../app/secrets/secret-ages.js';
import type { SiteDeps } from '../app/sites/site-deps.js';
import { alarmThreshold } from '../domain/alarms.js';
import type { BackupProblem } from '../domain/backup-freshness.js';
import type { PlatformConfig } from '../domain/config.js';
import { errorMessage } from '../domain/errors.js';
import type { AlarmStore } from '../ports/alarms.js';
import type { ComponentHealth, Runtime } from '../ports/runtime.js';

/** Below either, /health says the data dir's disk is degraded (a full disk fails every write). */
export const DISK_LOW_FREE_BYTES = 512 * 1024 ** 2;
export const DISK_LOW_FREE_PERCENT = alarmThreshold('bbws-wp-disk-headroom');

export async function diskFreePercent(dataDir: string): Promise<number | null> {
  try {
    const st = await statfs(dataDir);
    return st.blocks > 0 ? (100 * st.bavail) / st.blocks : null;
  } catch {
    return null;
  }
}

/** Free space of the data dir's file system (what non-root writers may use: `bavail`). */
export async function diskHealth(dataDir: string): Promise<ComponentHealth> {
  try {
    const st = await statfs(dataDir);
    const free = st.bavail * st.bsize;
    const percent = st.blocks > 0 ? (100 * st.bavail) / st.blocks : 0;
    const low = free < DISK_LOW_FREE_BYTES || percent < DISK_LOW_FREE_PERCENT;
    return {
      name: 'disk',
      status: low ? 'degraded' : 'ok',
      detail: `${Math.floor(free / 1024 ** 2)} MiB free (${percent.toFixed(1)} %) on the data dir's file system${low ? `: below ${DISK_LOW_FREE_BYTES / 1024 ** 2} MiB or ${DISK_LOW_FREE_PERCENT} %, free some space` : ''}`,
    };
  } catch (err) {
    return { name: 'disk', status: 'down', detail: errorMessage(err) };
  }
}

/** /health is polled: the backup check (a catalog read and a query per tenant) runs at most this often. */
export const BACKUP_HEALTH_TTL_MS = 30_000;

/** `load`, run again only once its last answer is older than `ttlMs` by `now` (a failure is not kept). */
export function memoizeFor<T>(ttlMs: number, now: () => number, load: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | null = null;
  return () => {
    if (last && now() - last.at < ttlMs) return last.value;
    const value = load();
    const entry = { at: now(), value };
    last = entry;
    value.catch(() => {
      if (last === entry) last = null;
    });
    return value;
  };
}

export async function componentHealth(deps: SiteDeps, roles: readonly string[], runtime: Runtime | null, config: PlatformConfig, alarms: AlarmStore, backupProblems: () => Promise<BackupProblem[]>): Promise<ComponentHealth[]> {
  const out: ComponentHealth[] = [await diskHealth(config.dataDir)];
  try {
    await deps.store.ping();
    out.push({ name: 'store', status: 'ok' });
  } catch (err) {
    out.push({ name: 'store', status: 'down', detail: errorMessage(err) });
  }
  let dlqMessages = 0;
  for (const def of deps.queue.definitions()) {
    if (!deps.queue.definitions().some((d) => d.deadLetterQueue === def.name)) continue;
    dlqMessages += (await deps.queue.stats(def.name)).visible;
  }
  // Seed 004 §9 / seed 001 §9: more than 10 messages in a DLQ means investigate (the alarm's threshold).
  out.push({ name: 'queues', status: dlqMessages > alarmThreshold('bbws-wp-dlq-messages') ? 'degraded' : 'ok', detail: `${dlqMessages} messages in dead-letter queues` });
  const firing = await firingAlarms({ alarms, logger: deps.logger, now: deps.now });
  out.push({ name: 'alarms', status: firing.length ? 'degraded' : 'ok', detail: firing.length ? `in ALARM: ${firing.map((a) => `${a.name} (${a.severity})`).join(', ')}; see bbws alarms list` : 'no alarm in ALARM' });
  // Seed 002 §Security Monitoring: a secret past the rotation policy is a finding, not an outage.
  out.push(await secretsHealth(deps, config.secretMaxAgeDays ?? DEFAULT_SECRET_MAX_AGE_DAYS).catch((err) => ({ name: 'secrets', status: 'down' as const, detail: errorMessage(err) })));
  // Issue 13: no green status without a backup behind it.
  out.push(await backupProblems().then(backupsHealthOf, (err) => ({ name: 'backups', status: 'down' as const, detail: errorMessage(err) })));
  for (const role of roles) out.push({ name: `role:${role}`, status: 'ok' });
  if (runtime) out.push(...(await runtime.health()));
  return out;
}
