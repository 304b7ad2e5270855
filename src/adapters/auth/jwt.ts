/**
 * HS256 JWTs for the API. The signing key lives in the data dir (`jwt.key`, mode 0600), so the
 * CLI on the same host can mint tokens (`bbws token create`) without talking to the API.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
// jose's subpaths, not its index: the index loads 47 modules (JWE, JWK, …), these about 20, and
// every `bbws` command that mints a token pays for them at start (docs/benchmarks.md "CLI start").
import * as errors from 'jose/errors';
import { SignJWT } from 'jose/jwt/sign';
import { jwtVerify } from 'jose/jwt/verify';
import { type Principal, ROLES, type Role } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import { isValidTenantId } from '../../domain/naming.js';
import type { Tokens } from '../../ports/tokens.js';

const ISSUER = 'bbws';
const AUDIENCE = 'bbws-api';

/** The adapter's name for the {@link Tokens} port (kept for callers that use it). */
export type TokenAuthority = Tokens;

export interface TokenAuthorityOptions {
  /** Clock in epoch ms that issues and expiry are judged by (default `Date.now`). */
  now?: () => number;
}

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

/** Verified tokens kept so that each is checked cryptographically once (27 % of a GET's CPU otherwise). */
const VERIFIED_CACHE_SIZE = 10_000;

export function createTokenAuthority(key: Uint8Array, options: TokenAuthorityOptions = {}): Tokens {
  const now = options.now ?? Date.now;
  const verified = new Map<string, { principal: Principal; expiresAtMs: number }>();
  const authority: Tokens = {
    async sign({ role, tenantId = null, subject }, ttlSeconds) {
      if (!ROLES.includes(role)) throw new BbwsError('VALIDATION_FAILED', `role must be one of ${ROLES.join(', ')}`);
      if (role === 'tenant-admin' && !isValidTenantId(tenantId)) throw new BbwsError('VALIDATION_FAILED', 'tenant-admin tokens need a valid --tenant');
      return new SignJWT({ role, ...(tenantId ? { tenantId } : {}) })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(subject ?? (tenantId ? `tenant:${tenantId}` : 'operator'))
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(Math.floor(now() / 1000))
        .setJti(globalThis.crypto.randomUUID())
        .setExpirationTime(Math.floor(now() / 1000) + ttlSeconds)
        .sign(key);
    },
    verifyCached(token) {
      const hit = verified.get(token);
      if (!hit) return undefined;
      if (now() < hit.expiresAtMs) return hit.principal;
      verified.delete(token);
      throw new BbwsError('TOKEN_EXPIRED');
    },
    async verify(token) {
      const hit = authority.verifyCached(token);
      if (hit) return hit;
      const principal = await verifyOnce(token);
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
      verified.set(token, { principal, expiresAtMs: expiryOf(token) });
      return principal;
    },
  };

  async function verifyOnce(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], requiredClaims: ['exp', 'sub'], currentDate: new Date(now()) });
      const role = payload.role;
      if (typeof role !== 'string' || !ROLES.includes(role as Role)) throw new BbwsError('UNAUTHORIZED', 'The token has no valid role.');
      const tenantId = typeof payload.tenantId === 'string' ? payload.tenantId : null;
      if (role === 'tenant-admin' && !isValidTenantId(tenantId)) throw new BbwsError('UNAUTHORIZED', 'A tenant-admin token must name its tenant.');
      return { subject: payload.sub!, role: role as Role, tenantId: role === 'tenant-admin' ? tenantId : null };
    } catch (err) {
      if (err instanceof BbwsError) throw err;
      if (err instanceof errors.JWTExpired) throw new BbwsError('TOKEN_EXPIRED');
      throw new BbwsError('UNAUTHORIZED', 'The bearer token is not valid.');
    }
  }

  return authority;
}

/** `exp` of a token whose signature was just verified, in ms. */
function expiryOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { exp: number };
  return payload.exp * 1000;
}

/** Parses `30s`, `15m`, `1h`, `7d` into seconds. */
export function parseTtl(value: string): number {
  const m = /^(\d+)([smhd])$/.exec(value.trim());
  if (!m) throw new BbwsError('VALIDATION_FAILED', `ttl must look like 30s, 15m, 1h or 7d (got "${value}")`);
  const n = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  if (n <= 0 || n > 366 * 86400) throw new BbwsError('VALIDATION_FAILED', 'ttl must be between 1s and 366d');
  return n;
}
