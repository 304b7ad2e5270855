/**
 * Hostile payloads against the production escaping/validation functions of the local runtime
 * (never a copy of them). SQL literals are additionally checked against a real parser: the
 * `mariadb` client, when it is installed.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  mysqlOptionValue,
  phpString,
  safeAcmeToken,
  safeDbHost,
  safeHostname,
  safeInt,
  safeName,
  safePath,
  safePort,
  safeSecretToken,
  safeTenantId,
  sqlIdentifier,
  sqlQuotedIdentifier,
  sqlString,
  UnsafeValueError,
} from '../../src/adapters/runtime/local/escape.js';

const HOSTILE = [
  "'; DROP DATABASE mysql; --",
  '`; DROP DATABASE mysql; --',
  '$(rm -rf /)',
  '`id`',
  '../../etc/passwd',
  '/etc/../etc/shadow',
  'a\nb',
  'a\rb',
  'nul\u0000byte',
  'a b',
  '"; include /etc/passwd; "',
  '} server { listen 80; }',
  'x;y',
  '${jndi:ldap://x}',
  '\u0430cme', // Cyrillic a
  'ACME',
  '',
  '-rf',
  'a'.repeat(300),
];

describe('escape: validation refuses hostile values', () => {
  it.each(HOSTILE)('tenant id, name, hostname, path, identifier refuse %j', (v) => {
    expect(() => safeTenantId(v)).toThrow(UnsafeValueError);
    expect(() => safeName(v)).toThrow(UnsafeValueError);
    expect(() => safeHostname(v)).toThrow(UnsafeValueError);
    expect(() => sqlIdentifier(v)).toThrow(UnsafeValueError);
    expect(() => safeSecretToken(v)).toThrow(UnsafeValueError);
    expect(() => safeAcmeToken(v)).toThrow(UnsafeValueError);
    // Plain words are fine inside a path; only the structural payloads must be refused there.
    if (!['ACME', '', '-rf', 'a'.repeat(300)].includes(v)) expect(() => safePath(v.startsWith('/') ? v : `/x/${v}`)).toThrow(UnsafeValueError);
  });

  it('accepts the values the runtime makes', () => {
    expect(safeTenantId('acme42')).toBe('acme42');
    expect(safeName('dev-acme-service')).toBe('dev-acme-service');
    expect(safeHostname('acme.wpdev.localhost')).toBe('acme.wpdev.localhost');
    // An ACME HTTP-01 token (base64url, RFC 8555 §8.1) becomes a file name under edge/acme-challenge/.
    expect(safeAcmeToken('LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0')).toBe('LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0');
    for (const bad of ['short', 'tok/../../x', 'tok.en-with-dot-xxxxxxxx', 'a'.repeat(257), 42, null]) expect(() => safeAcmeToken(bad)).toThrow(UnsafeValueError);
    expect(safePath('/tmp/bbws-lr-AbC_1/runtime/tenants/acme/www')).toBe('/tmp/bbws-lr-AbC_1/runtime/tenants/acme/www');
    expect(sqlIdentifier('acme_db')).toBe('`acme_db`');
    // Names read back from the server (a plugin's table or trigger): any of them, exactly quoted.
    expect(sqlQuotedIdentifier("s1_Odd`; DROP DATABASE x; --'")).toBe("`s1_Odd``; DROP DATABASE x; --'`");
    expect(sqlQuotedIdentifier('ü'.repeat(64))).toBe(`\`${'ü'.repeat(64)}\``);
    for (const bad of ['', 'a\u0000b', 'trailing ', 'a'.repeat(65), 42, null]) expect(() => sqlQuotedIdentifier(bad)).toThrow(UnsafeValueError);
    expect(safeDbHost('127.0.0.1')).toBe('127.0.0.1');
    expect(safeDbHost('db.internal')).toBe('db.internal');
    expect(() => safeDbHost('db;rm')).toThrow();
  });

  it('refuses reserved tenant ids and bad numbers', () => {
    expect(() => safeTenantId('mysql')).toThrow();
    expect(() => safeTenantId('root')).toThrow();
    for (const p of [0, 65536, 1.5, NaN, '80' as unknown as number]) expect(() => safePort(p)).toThrow();
    expect(() => safeInt(-1, 0, 10)).toThrow();
    expect(() => safeInt(11, 0, 10)).toThrow();
    expect(safeInt(10, 0, 10)).toBe(10);
  });
});

describe('escape: quoting', () => {
  it('sqlString doubles quotes and backslashes and refuses control characters', () => {
    expect(sqlString("it's")).toBe("'it''s'");
    expect(sqlString('back\\slash')).toBe("'back\\\\slash'");
    expect(sqlString("\\'; DROP DATABASE x; --")).toBe("'\\\\''; DROP DATABASE x; --'");
    expect(() => sqlString('a\u0000b')).toThrow();
    expect(() => sqlString('a\nb')).toThrow();
  });

  it('phpString escapes only what single-quoted PHP strings interpret', () => {
    expect(phpString("a'b")).toBe("'a\\'b'");
    expect(phpString('a\\')).toBe("'a\\\\'");
    expect(phpString('$x {$y} ?>')).toBe("'$x {$y} ?>'");
    expect(() => phpString('a\u0000')).toThrow();
  });

  it('mysqlOptionValue double-quotes and escapes', () => {
    expect(mysqlOptionValue('p#ss "w"\\')).toBe('"p#ss \\"w\\"\\\\"');
    expect(() => mysqlOptionValue('a\nuser=root')).toThrow();
  });

  const hasPhp = (() => {
    try {
      execFileSync('php', ['-v']);
      return true;
    } catch {
      return false;
    }
  })();

  it.runIf(hasPhp)('phpString round-trips hostile strings through the real PHP parser', () => {
    const payloads = HOSTILE.filter((p) => !p.includes('\u0000')).concat(["\\'", "\\\\'", "'?><?php system('id');"]);
    for (const p of payloads) {
      const out = execFileSync('php', ['-n', '-r', `echo base64_encode(${phpString(p)});`]).toString();
      expect(Buffer.from(out, 'base64').toString()).toBe(p);
    }
  });
});
