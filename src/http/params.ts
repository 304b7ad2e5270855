/**
 * Parsers of request parameters that several routes share. Each throws VALIDATION_FAILED naming
 * the field, so bad input is a 400 that changes nothing.
 */
import { BbwsError } from '../domain/errors.js';

/** `If-Match: 3` or `If-Match: "3"` → 3; absent → undefined. */
export function parseIfMatch(header: unknown): number | undefined {
  if (header === undefined) return undefined;
  const m = typeof header === 'string' ? /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header) : null;
  if (!m) throw new BbwsError('VALIDATION_FAILED', 'If-Match must be the resource version, e.g. "3".', { field: 'If-Match' });
  return Number(m[1]);
}

/** `?limit=` of a list: 1-100, `fallback` when absent. */
export function parseLimit(value: string | undefined, fallback = 25): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new BbwsError('VALIDATION_FAILED', 'limit must be 1-100.', { field: 'limit' });
  return n;
}
