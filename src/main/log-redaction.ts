/**
 * Secrets out of log lines: the value of any field named like a secret (`password`, `authorization`,
 * `token`, …) is replaced by `[redacted]`, at the top of a line's object, one level down
 * (`{ input: { password } }`) and in headers one level down (`{ req: { headers: { cookie } } }`).
 * A pino `formatters.log` hook: it copies only the objects it changes (the caller's objects are never
 * modified) and costs a key lookup per field; pino's own path-based redaction cost ~75 µs per
 * request line (docs/benchmarks.md, API).
 */
const SECRET_KEYS = new Set(['authorization', 'cookie', 'password', 'adminPassword', 'dbPassword', 'token', 'secret', 'apiKey', 'basicAuth']);
export const CENSOR = '[redacted]';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Error);

/** `obj` with its secret fields' values replaced, `depth` levels down (0: this level only). */
function censor(obj: Record<string, unknown>, depth: number): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    let next: unknown = value;
    if (SECRET_KEYS.has(key)) next = value === undefined ? value : CENSOR;
    else if (key === 'headers' && isPlainObject(value)) next = censor(value, 0);
    else if (depth > 0 && isPlainObject(value)) next = censor(value, depth - 1);
    if (next !== value) {
      out ??= { ...obj };
      out[key] = next;
    }
  }
  return out ?? obj;
}

export function redactSecrets(obj: Record<string, unknown>): Record<string, unknown> {
  return censor(obj, 1);
}
