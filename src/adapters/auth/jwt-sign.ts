/**
 * Signing the API's HS256 JWTs, and the key they are signed with. Its own module, with node:crypto
 * only: every `bbws` command that calls the API mints a token, and jose with WebCrypto cost it
 * ~20 ms of CPU at start (docs/benchmarks.md "CLI start"). Verifying stays with jose (jwt.ts),
 * which checks whatever a client sends; a test checks that this writes byte for byte the token
 * jose's SignJWT writes for the same claims.
 *
 * The key lives in the data dir (`jwt.key`, mode 0600), so the CLI on the same host can mint
 * tokens (`bbws token create`) without talking to the API.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ROLES, type Role } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import { isValidTenantId } from '../../domain/naming.js';

export const ISSUER = 'bbws';
export const AUDIENCE = 'bbws-api';

/** Reads the key file, creating it (32 random bytes, mode 0600) on first use. */
export function loadOrCreateSigningKey(file: string): Uint8Array {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length < 32) throw new Error(`${file} holds fewer than 32 bytes of key; delete it to generate a new one (existing tokens stop working).`);
  return key;
}

export interface TokenClaims {
  role: Role;
  tenantId?: string | null;
  /** Default `tenant:<id>` for a tenant-admin, `operator` otherwise. */
  subject?: string;
}

const base64urlJson = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT (JWS compact serialization, RFC 7515 §7.1) valid from `nowMs` for `ttlSeconds`, with a random `jti`. */
export function signToken(key: Uint8Array, { role, tenantId = null, subject }: TokenClaims, ttlSeconds: number, nowMs: number = Date.now(), jti: string = randomUUID()): string {
  if (!ROLES.includes(role)) throw new BbwsError('VALIDATION_FAILED', `role must be one of ${ROLES.join(', ')}`);
  if (role === 'tenant-admin' && !isValidTenantId(tenantId)) throw new BbwsError('VALIDATION_FAILED', 'tenant-admin tokens need a valid --tenant');
  const iat = Math.floor(nowMs / 1000);
  // The claims in the order jose's SignJWT writes them (jwt.test.ts compares the two).
  const payload = { role, ...(tenantId ? { tenantId } : {}), sub: subject ?? (tenantId ? `tenant:${tenantId}` : 'operator'), iss: ISSUER, aud: AUDIENCE, iat, jti, exp: iat + ttlSeconds };
  const signingInput = `${base64urlJson({ alg: 'HS256' })}.${base64urlJson(payload)}`;
  return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
}

/** Parses `30s`, `15m`, `1h`, `7d` into seconds. */
export function parseTtl(value: string): number {
  const m = /^(\d+)([smhd])$/.exec(value.trim());
  if (!m) throw new BbwsError('VALIDATION_FAILED', `ttl must look like 30s, 15m, 1h or 7d (got "${value}")`);
  const n = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  if (n <= 0 || n > 366 * 86400) throw new BbwsError('VALIDATION_FAILED', 'ttl must be between 1s and 366d');
  return n;
}

/** `prefix:<12 hex>`: a token subject no other token shares (the API's rate limit and idempotency scope go by subject). */
export function uniqueSubject(prefix: string): string {
  return `${prefix}:${randomBytes(6).toString('hex')}`;
}
