/**
 * jwt-sign.ts writes HS256 tokens with node:crypto (the CLI mints one per run without loading
 * jose): byte for byte what jose's SignJWT writes for the same claims, and accepted by jose's
 * verifier with the API's issuer and audience.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose/jwt/sign';
import { jwtVerify } from 'jose/jwt/verify';
import { describe, expect, it } from 'vitest';
import { AUDIENCE, ISSUER, signToken } from '../../src/adapters/auth/jwt-sign.js';

const key = randomBytes(32);
const NOW_MS = 1_800_000_000_500;
const JTI = '0b8f2d3e-6a1c-4c3e-9f3a-2d1e5b7c9a01';

function joseToken(claims: Record<string, unknown>, subject: string, ttl: number): Promise<string> {
  const iat = Math.floor(NOW_MS / 1000);
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt(iat).setJti(JTI).setExpirationTime(iat + ttl).sign(key);
}

describe('signToken', () => {
  it("writes the token jose's SignJWT writes", async () => {
    expect(signToken(key, { role: 'platform-admin', subject: 'bbws-cli:0123456789ab' }, 300, NOW_MS, JTI)).toBe(await joseToken({ role: 'platform-admin' }, 'bbws-cli:0123456789ab', 300));
    expect(signToken(key, { role: 'tenant-admin', tenantId: 'acme' }, 3600, NOW_MS, JTI)).toBe(await joseToken({ role: 'tenant-admin', tenantId: 'acme' }, 'tenant:acme', 3600));
    expect(signToken(key, { role: 'platform-admin' }, 60, NOW_MS, JTI)).toBe(await joseToken({ role: 'platform-admin' }, 'operator', 60));
  });

  it("is accepted by jose's verifier, and by no other key", async () => {
    const token = signToken(key, { role: 'tenant-admin', tenantId: 'acme', subject: 'tenant:acme:1' }, 300);
    const { payload, protectedHeader } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
    expect(protectedHeader).toEqual({ alg: 'HS256' });
    expect(payload).toMatchObject({ role: 'tenant-admin', tenantId: 'acme', sub: 'tenant:acme:1' });
    await expect(jwtVerify(token, randomBytes(32), { algorithms: ['HS256'] })).rejects.toThrow(/signature/);
  });

  it('refuses a role it does not know and a tenant-admin without a valid tenant', () => {
    expect(() => signToken(key, { role: 'root' as never }, 60)).toThrow(/role must be one of/);
    expect(() => signToken(key, { role: 'tenant-admin', tenantId: 'Not Valid' }, 60)).toThrow(/valid --tenant/);
  });
});
