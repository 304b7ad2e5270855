/**
 * HS256 JWTs for the API: the {@link Tokens} port. Tokens are signed by jwt-sign.ts (node:crypto,
 * which the CLI loads alone) and verified with jose. The signing key lives in the data dir
 * (`jwt.key`, mode 0600).
 */
// jose's subpaths, not its index: the index loads 47 modules (JWE, JWK, …).
import * as errors from 'jose/errors';
import { jwtVerify } from 'jose/jwt/verify';
import { type Principal, ROLES, type Role } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import { isValidTenantId } from '../../domain/naming.js';
import type { Tokens } from '../../ports/tokens.js';
import { AUDIENCE, ISSUER, signToken } from './jwt-sign.js';

export { loadOrCreateSigningKey, parseTtl } from './jwt-sign.js';

/** The adapter's name for the {@link Tokens} port (kept for callers that use it). */
export type TokenAuthority = Tokens;

export interface TokenAuthorityOptions {
  /** Clock in epoch ms that issues and expiry are judged by (default `Date.now`). */
  now?: () => number;
}

/** Verified tokens kept so that each is checked cryptographically once (27 % of a GET's CPU otherwise). */
const VERIFIED_CACHE_SIZE = 10_000;

export function createTokenAuthority(key: Uint8Array, options: TokenAuthorityOptions = {}): Tokens {
  const now = options.now ?? Date.now;
  const verified = new Map<string, { principal: Principal; expiresAtMs: number }>();
  const authority: Tokens = {
    async sign(claims, ttlSeconds) {
      return signToken(key, claims, ttlSeconds, now());
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
