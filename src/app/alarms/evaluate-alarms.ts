/**
 * The alarm evaluator, a role of `bbws up`: each tick it reads the process's metrics, stores one
 * sample per alarm (so the metric history survives a restart), makes each alarm's datapoints for
 * its last evaluation periods from the stored samples, and records every change of state in the
 * history, the log (`action: ALARM_STATE_CHANGED`) and the webhooks (`alarm.state-changed`,
 * operator webhooks only; not while the alarm is muted), through an outbox in the history.
 */
import { alarmStateOf, applyAlarmSettings, DEFAULT_ALARMS, type AlarmDefinition, type Datapoint } from '../../domain/alarms.js';
import { datapointOf, readMetric, sampleOf, type Reading, type Sample, type SeriesValue } from '../../domain/alarm-metrics.js';
import type { AlarmStatus, AlarmStore, AlarmTransition } from '../../ports/alarms.js';
import type { Logger } from '../../ports/logger.js';
import type { Notifier } from '../../ports/notifier.js';

export interface AlarmDeps {
  alarms: AlarmStore;
  logger: Logger;
  notifier: Notifier | null;
  now: () => number;
  /** Every series of the metrics the alarms read (GET /metrics's content, as values). */
  readMetrics: () => Promise<SeriesValue[]>;
}

/** Samples are kept for a day: the longest period × evaluation periods an alarm may be set to, and more. */
const SAMPLE_RETENTION_MS = 24 * 3600_000;

/** The seeds' definitions with `bbws alarms set` overrides applied. */
export async function effectiveAlarms(store: AlarmStore): Promise<AlarmDefinition[]> {
  const settings = await store.settings();
  return DEFAULT_ALARMS.map((def) => (settings[def.name] ? applyAlarmSettings(def, settings[def.name]) : def));
}

const fmt = (d: Datapoint) => (d === null ? 'no data' : d === 'none' ? 'nothing measured' : String(Math.round(d * 1000) / 1000));

function reasonOf(def: AlarmDefinition, points: readonly Datapoint[]): string {
  const list = points.map(fmt).join(', ');
  return `last ${def.evaluationPeriods} period(s) of ${def.periodSeconds} s: [${list}] against ${def.comparison} ${def.threshold} ${def.unit}`;
}

export interface AlarmEvaluator {
  /** One evaluation; returns every alarm's status after it. */
  tick(): Promise<AlarmStatus[]>;
}

export function createAlarmEvaluator(deps: AlarmDeps): AlarmEvaluator {
  // Last cumulative reading per alarm in this process: a sample is the increase since then.
  const previous = new Map<string, Reading>();
  return {
    async tick() {
      const at = deps.now();
      const [snapshot, defs, current, mutes] = await Promise.all([deps.readMetrics(), effectiveAlarms(deps.alarms), deps.alarms.statuses(), deps.alarms.mutes()]);
      const samples = defs.map((def) => {
        const reading = readMetric(def.metric, snapshot);
        const sample = sampleOf(reading, previous.get(def.name));
        previous.set(def.name, reading);
        return { alarm: def.name, sample };
      });
      const longest = Math.max(...defs.map((d) => d.periodSeconds * d.evaluationPeriods)) * 1000;
      const stored = await deps.alarms.samplesSince(at - longest);
      const byAlarm = new Map<string, { at: number; sample: Sample }[]>();
      for (const s of [...stored, ...samples.map((s) => ({ ...s, at }))]) {
        let list = byAlarm.get(s.alarm);
        if (!list) byAlarm.set(s.alarm, (list = []));
        list.push(s);
      }
      const iso = new Date(at).toISOString();
      const before = new Map(current.map((s) => [s.name, s]));
      const statuses: AlarmStatus[] = [];
      const transitions: AlarmTransition[] = [];
      for (const def of defs) {
        const own = byAlarm.get(def.name) ?? [];
        const period = def.periodSeconds * 1000;
        const points: Datapoint[] = [];
        for (let k = def.evaluationPeriods - 1; k >= 0; k--) {
          const end = at - k * period;
          points.push(datapointOf(def, own.filter((s) => s.at > end - period && s.at <= end).map((s) => s.sample)));
        }
        const state = alarmStateOf(def, points);
        const last = points[points.length - 1];
        const value = typeof last === 'number' ? last : null;
        const reason = reasonOf(def, points);
        const was = before.get(def.name);
        const from = was?.state ?? 'INSUFFICIENT_DATA';
        statuses.push({ name: def.name, state, reason, value, since: was && was.state === state ? was.since : iso, evaluatedAt: iso });
        if (from !== state) transitions.push({ name: def.name, at: iso, from, to: state, reason, value, muted: (mutes[def.name] ?? '') > iso });
      }
      await deps.alarms.recordTick({ at, samples, statuses, transitions });
      for (const t of transitions) logTransition(deps, defs.find((d) => d.name === t.name)!, t);
      await publishTransitions(deps, defs);
      await deps.alarms.pruneSamples(at - SAMPLE_RETENTION_MS);
      return statuses;
    },
  };
}

function logTransition(deps: AlarmDeps, def: AlarmDefinition, t: AlarmTransition): void {
  const fields = { action: 'ALARM_STATE_CHANGED', alarm: t.name, status: t.to, from: t.from, severity: def.severity, alarmAction: def.action, value: t.value ?? undefined, muted: t.muted };
  const message = `alarm ${t.name} ${t.from} -> ${t.to} (${def.severity}, ${def.action}): ${t.reason}`;
  if (t.to === 'ALARM') deps.logger.warn(fields, message);
  else deps.logger.info(fields, message);
}

/**
 * Publishes recorded transitions that no webhook has had yet: this tick's, and any a crash or a
 * failed publish left behind (the notification id is the history entry's, so a repeat is one
 * delivery). Platform-wide, not a tenant's: delivered to operator webhooks only.
 */
async function publishTransitions(deps: AlarmDeps, defs: readonly AlarmDefinition[]): Promise<void> {
  if (!deps.notifier) return;
  for (const t of await deps.alarms.unannounced(100)) {
    const def = defs.find((d) => d.name === t.name);
    await deps.notifier.publish({
      notificationId: `alarm-transition-${t.seq}`,
      type: 'alarm.state-changed',
      tenantId: '',
      siteId: '',
      data: { alarm: t.name, from: t.from, to: t.to, reason: t.reason, value: t.value, severity: def?.severity, action: def?.action, description: def?.description, threshold: def?.threshold, comparison: def?.comparison },
      occurredAt: t.at,
    });
    await deps.alarms.markAnnounced(t.seq);
  }
}

/** The evaluator role: a tick every `intervalMs` until aborted; a failed tick is logged and the next one tries again. */
export async function runAlarmEvaluator(deps: AlarmDeps & { beforeTick?: () => Promise<void> }, signal: AbortSignal, intervalMs = 60_000): Promise<void> {
  const evaluator = createAlarmEvaluator(deps);
  while (!signal.aborted) {
    try {
      await deps.beforeTick?.();
      await evaluator.tick();
    } catch (err) {
      deps.logger.error({ action: 'ALARM_EVALUATION', status: 'FAILED', err: err instanceof Error ? err.message : String(err) }, 'alarm evaluation failed; retried next tick');
    }
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, intervalMs);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}
