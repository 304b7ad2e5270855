/**
 * The time range of a log query: `--since 1h` (relative: ms, s, m, h, d, w) or an ISO time;
 * `--until` the same (relative means that long ago), default now. Since defaults to an hour
 * ago, as seed 000 §3.1's "last hour".
 */
import { BbwsError } from '../errors.js';
import { DURATION_UNITS } from './tokenize-query.js';

export interface TimeRange {
  since: string;
  until: string;
}

function pointInTime(setting: 'since' | 'until', value: string, now: number): number {
  const rel = /^(\d+(?:\.\d+)?)([a-z]+)$/.exec(value.trim());
  if (rel && DURATION_UNITS[rel[2]] !== undefined) return now - Number(rel[1]) * DURATION_UNITS[rel[2]];
  if (value === 'now') return now;
  // ISO 8601 with a date and, if a time is given, a zone (Z or ±hh:mm): no local-time guesses.
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)) {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return t;
  }
  throw new BbwsError('LOGS_TIME_RANGE_INVALID', `${setting} must be a duration ago (30m, 1h, 7d) or an ISO time with a zone (2026-12-03T07:00:00Z); got "${value}".`, { [setting]: value });
}

export function parseTimeRange(input: { since?: string; until?: string }, now: number): TimeRange {
  const since = pointInTime('since', input.since ?? '1h', now);
  // `until` is exclusive; by default it is just after now, so a line written in the same
  // millisecond as the query is still in.
  const until = input.until === undefined ? now + 1 : pointInTime('until', input.until, now);
  if (since >= until) throw new BbwsError('LOGS_TIME_RANGE_INVALID', 'since must be before until.', { since: new Date(since).toISOString(), until: new Date(until).toISOString() });
  return { since: new Date(since).toISOString(), until: new Date(until).toISOString() };
}
