/**
 * What operators do with alarms (`bbws alarms list|history|set|mute|rules`, GET /v1.0/alarms):
 * read the definitions with their state, change a threshold, silence the actions for a while,
 * export the Prometheus rules. Every change is logged.
 */
import { applyAlarmSettings, defaultAlarm, type AlarmDefinition, type AlarmSettings, type AlarmState } from '../../domain/alarms.js';
import { BbwsError } from '../../domain/errors.js';
import { renderPrometheusRules } from '../../domain/alarm-rules.js';
import type { AlarmStore, AlarmTransition } from '../../ports/alarms.js';
import type { Logger } from '../../ports/logger.js';
import { effectiveAlarms } from './evaluate-alarms.js';

export interface AlarmView extends AlarmDefinition {
  state: AlarmState;
  reason: string;
  value: number | null;
  since: string | null;
  evaluatedAt: string | null;
  mutedUntil: string | null;
}

interface Deps {
  alarms: AlarmStore;
  logger: Logger;
  now: () => number;
}

export async function listAlarms(deps: Deps): Promise<AlarmView[]> {
  const [defs, statuses, mutes] = await Promise.all([effectiveAlarms(deps.alarms), deps.alarms.statuses(), deps.alarms.mutes()]);
  const nowIso = new Date(deps.now()).toISOString();
  return defs.map((def) => {
    const s = statuses.find((x) => x.name === def.name);
    const muted = mutes[def.name] && mutes[def.name] > nowIso ? mutes[def.name] : null;
    return { ...def, state: s?.state ?? 'INSUFFICIENT_DATA', reason: s?.reason ?? 'not evaluated yet', value: s?.value ?? null, since: s?.since ?? null, evaluatedAt: s?.evaluatedAt ?? null, mutedUntil: muted };
  });
}

/** The alarms in ALARM and not muted: what /health reports. */
export async function firingAlarms(deps: Deps): Promise<AlarmView[]> {
  return (await listAlarms(deps)).filter((a) => a.state === 'ALARM' && a.mutedUntil === null);
}

export async function alarmHistory(deps: Deps, options: { alarm?: string; limit?: number }): Promise<AlarmTransition[]> {
  if (options.alarm) defaultAlarm(options.alarm);
  return deps.alarms.history({ alarm: options.alarm, limit: options.limit ?? 100 });
}

export async function setAlarm(deps: Deps, name: string, settings: AlarmSettings): Promise<AlarmView> {
  const def = defaultAlarm(name);
  const known = ['threshold', 'periodSeconds', 'evaluationPeriods', 'severity'];
  const given = Object.keys(settings).filter((k) => (settings as Record<string, unknown>)[k] !== undefined);
  if (given.length === 0) throw new BbwsError('ALARM_SETTING_INVALID', `Give at least one of ${known.join(', ')}.`, { alarm: name, field: known.join(',') });
  const merged = { ...(await deps.alarms.settings())[name], ...settings };
  applyAlarmSettings(def, merged); // validates: throws ALARM_SETTING_INVALID, nothing saved
  await deps.alarms.saveSettings(name, merged);
  deps.logger.info({ action: 'ALARM_SET', alarm: name, status: 'OK', ...settings }, `alarm ${name} set: ${JSON.stringify(settings)}`);
  return (await listAlarms(deps)).find((a) => a.name === name)!;
}

/** Actions off (no webhook) for `minutes`; 0 unmutes. States are still evaluated and kept. */
export async function muteAlarm(deps: Deps, name: string, minutes: number): Promise<AlarmView> {
  defaultAlarm(name);
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > 7 * 24 * 60) throw new BbwsError('ALARM_SETTING_INVALID', 'minutes must be a whole number from 0 (unmute) to 10080 (a week).', { alarm: name, field: 'minutes' });
  const until = minutes === 0 ? null : new Date(deps.now() + minutes * 60_000).toISOString();
  await deps.alarms.mute(name, until);
  deps.logger.info({ action: 'ALARM_MUTE', alarm: name, status: 'OK', mutedUntil: until ?? undefined }, until ? `alarm ${name} muted until ${until}` : `alarm ${name} unmuted`);
  return (await listAlarms(deps)).find((a) => a.name === name)!;
}

export async function prometheusRules(deps: Pick<Deps, 'alarms'>): Promise<string> {
  return renderPrometheusRules(await effectiveAlarms(deps.alarms));
}
