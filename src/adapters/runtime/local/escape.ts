/**
 * The one place where values become SQL, PHP, config-file text or file-system paths. Every
 * renderer and every SQL statement of the local runtime goes through these functions, and
 * test/unit/local-escape.test.ts throws hostile payloads at them. The policy is "validate by
 * allow-list, then quote": quoting alone is not trusted for config formats (nginx, php-fpm ini)
 * whose escaping rules are informal, so those only accept values that need no escaping at all.
 */
import { isValidHostname, isValidTenantId } from '../../../domain/naming.js';

/** A value that is not allowed where it was going to be used. */
export class UnsafeValueError extends Error {
  readonly kind: string;
  constructor(kind: string, value: unknown) {
    // The value itself is shown JSON-quoted and truncated: it may be hostile or a secret-looking string.
    super(`unsafe ${kind}: ${JSON.stringify(String(value)).slice(0, 80)}`);
    this.name = 'UnsafeValueError';
    this.kind = kind;
  }
}

/** Tenant id as the domain defines it (`^[a-z0-9]{3,32}$`, not reserved). */
export function safeTenantId(value: unknown): string {
  if (!isValidTenantId(value)) throw new UnsafeValueError('tenant id', value);
  return value;
}

/** A DNS host name (lower-case labels); used as a route file name, so it must never contain `/`. */
export function safeHostname(value: unknown): string {
  if (!isValidHostname(value) || value.includes('/') || value.startsWith('.')) throw new UnsafeValueError('hostname', value);
  return value;
}

/**
 * A name used as a file name, php-fpm pool name, Unix user or SQL identifier:
 * lower-case letters, digits, `_` and `-`, 1-64 characters, starting with a letter or digit.
 */
export function safeName(value: unknown): string {
  if (typeof value !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(value)) throw new UnsafeValueError('name', value);
  return value;
}

/**
 * An absolute path that can be written into nginx, php-fpm and PHP config unquoted: no spaces,
 * quotes, `;`, `$`, `{}`, `#`, control characters or `..` segments.
 */
export function safePath(value: unknown): string {
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._\/+@-]*$/.test(value) || value.length > 1024) throw new UnsafeValueError('path', value);
  if (value.split('/').some((seg) => seg === '..' || seg === '.')) throw new UnsafeValueError('path', value);
  return value;
}

/** A TCP port. */
export function safePort(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) throw new UnsafeValueError('port', value);
  return value;
}

/** A non-negative integer within bounds (pool sizes, connection counts). */
export function safeInt(value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new UnsafeValueError(`integer ${min}..${max}`, value);
  return value;
}

/** Backquoted SQL identifier (database or user name); only {@link safeName} characters, `-` excluded. */
export function sqlIdentifier(value: unknown): string {
  if (typeof value !== 'string' || !/^[a-z0-9_]{1,64}$/.test(value)) throw new UnsafeValueError('SQL identifier', value);
  return `\`${value}\``;
}

/**
 * Any existing object's name (a plugin's table, view, trigger or routine, read back from
 * information_schema), backquoted with backquotes doubled: MariaDB's own quoting, exact for every
 * name it accepts. Refused: NUL, an empty name, more than 64 characters, a trailing space (MariaDB
 * never makes such names, so one here did not come from the server).
 */
export function sqlQuotedIdentifier(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || [...value].length > 64 || value.includes('\u0000') || value.endsWith(' ')) throw new UnsafeValueError('SQL identifier', value);
  return `\`${value.replace(/`/g, '``')}\``;
}

/**
 * A single-quoted SQL string literal. Quotes are doubled and backslashes doubled, which is
 * injection-safe both with and without NO_BACKSLASH_ESCAPES (with it the value only gains a
 * backslash; it never ends the literal). NUL and other control characters are refused.
 */
export function sqlString(value: unknown): string {
  if (typeof value !== 'string' || /[\u0000-\u001f\u007f]/.test(value)) throw new UnsafeValueError('SQL string', value);
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** A single-quoted PHP string literal (only `\` and `'` are special there). NUL is refused. */
export function phpString(value: unknown): string {
  if (typeof value !== 'string' || value.includes('\u0000')) throw new UnsafeValueError('PHP string', value);
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `host[:port]` for DB_HOST and the mariadb client: a host name or IPv4 address, and a port. */
export function safeDbHost(host: unknown): string {
  if (typeof host !== 'string' || !(isValidHostname(host) || /^\d{1,3}(\.\d{1,3}){3}$/.test(host))) throw new UnsafeValueError('database host', host);
  return host;
}

/**
 * A generated secret (password, salt) that may appear inside config files: URL-safe base64
 * only, so it needs no quoting anywhere (htpasswd, PHP, SQL, client option files).
 */
export function safeSecretToken(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(value)) throw new UnsafeValueError('generated secret', value);
  return value;
}

/**
 * A value of a MySQL client option file (`password=…`): the client un-escapes `\` sequences and
 * treats `#` after whitespace as a comment, so the value is double-quoted with `\` and `"` escaped.
 */
export function mysqlOptionValue(value: unknown): string {
  if (typeof value !== 'string' || /[\u0000-\u001f\u007f]/.test(value)) throw new UnsafeValueError('option value', value);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** An ACME challenge token (RFC 8555 §8.1: base64url, ≥ 128 bits): the file name of its HTTP-01 answer. */
export function safeAcmeToken(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{16,256}$/.test(value)) throw new UnsafeValueError('ACME token', value);
  return value;
}
