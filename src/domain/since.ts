/**
 * `--since 1d` / `?since=24h`: a duration back from now (s, m, h, d, w) or an ISO time, as an ISO
 * time. Anything else is a VALIDATION_FAILED naming the field.
 */
import { BbwsError } from './errors.js';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d{1,6})([smhdw])$/;

export function sinceToIso(text: string, now: number, field = 'since'): string {
  const m = DURATION.exec(text);
  if (m) return new Date(now - Number(m[1]) * UNIT_MS[m[2]]).toISOString();
  const t = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(t)) throw new BbwsError('VALIDATION_FAILED', `${field} is a duration such as 30m, 24h or 1d, or an ISO time.`, { field, value: text.slice(0, 64) });
  return new Date(t).toISOString();
}
