/**
 * The DomainRegistry port's contract (src/ports/domains.ts): a claim is recorded once per tenant
 * and domain (first claim wins), a domain is verified by one tenant at most (the later one is
 * told `taken`, nothing changes), and releasing a tenant frees its names. Run it from
 * `domains.<adapter>.test.ts` with a factory that builds a fresh, isolated registry per test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DomainClaim, DomainRegistry } from '../../src/ports/domains.js';

export type MakeDomainRegistry = () => Promise<{ registry: DomainRegistry; cleanup: () => Promise<void> }>;

const claim = (tenantId: string, domain: string, token = `token-${tenantId}`): DomainClaim => ({
  tenantId,
  domain,
  token,
  status: 'PENDING',
  createdAt: '2030-01-01T00:00:00.000Z',
  verifiedAt: null,
});

export function describeDomainRegistryContract(name: string, make: MakeDomainRegistry): void {
  describe(`DomainRegistry contract: ${name}`, () => {
    let ctx: Awaited<ReturnType<MakeDomainRegistry>> | undefined;
    const r = () => ctx!.registry;
    beforeEach(async () => {
      ctx = await make();
    });
    afterEach(async () => {
      const current = ctx;
      ctx = undefined;
      await current?.cleanup();
    });

    it('records a claim once: a second claim of the same domain by the tenant returns the first', async () => {
      expect(await r().claim(claim('acme', 'shop.example.com'))).toEqual(claim('acme', 'shop.example.com'));
      expect(await r().claim(claim('acme', 'shop.example.com', 'other-token'))).toEqual(claim('acme', 'shop.example.com'));
      expect(await r().get('acme', 'shop.example.com')).toEqual(claim('acme', 'shop.example.com'));
      expect(await r().get('beta', 'shop.example.com')).toBeUndefined();
    });

    it("lists a tenant's claims by domain", async () => {
      await r().claim(claim('acme', 'z.example.com'));
      await r().claim(claim('acme', 'a.example.com'));
      await r().claim(claim('beta', 'b.example.com'));
      expect((await r().list('acme')).map((c) => c.domain)).toEqual(['a.example.com', 'z.example.com']);
    });

    it('lets one tenant verify a domain; a later one is told it is taken and nothing changes', async () => {
      await r().claim(claim('acme', 'shop.example.com'));
      await r().claim(claim('beta', 'shop.example.com'));
      expect(await r().markVerified('beta', 'shop.example.com', '2030-01-02T00:00:00.000Z')).toBe('verified');
      expect(await r().markVerified('acme', 'shop.example.com', '2030-01-03T00:00:00.000Z')).toBe('taken');
      expect(await r().verifiedOwner('shop.example.com')).toBe('beta');
      expect(await r().get('acme', 'shop.example.com')).toMatchObject({ status: 'PENDING', verifiedAt: null });
      expect(await r().get('beta', 'shop.example.com')).toMatchObject({ status: 'VERIFIED', verifiedAt: '2030-01-02T00:00:00.000Z' });
      // Only the name itself: a parent or child of a verified domain has no owner here.
      expect(await r().verifiedOwner('example.com')).toBeUndefined();
      expect(await r().verifiedOwner('a.shop.example.com')).toBeUndefined();
    });

    it('of tenants verifying one domain at once, exactly one wins', async () => {
      const tenants = ['acme', 'beta', 'gamma', 'delta', 'omega'];
      for (const t of tenants) await r().claim(claim(t, 'race.example.com'));
      const results = await Promise.all(tenants.map((t) => r().markVerified(t, 'race.example.com', '2030-01-02T00:00:00.000Z')));
      expect(results.filter((x) => x === 'verified')).toHaveLength(1);
      const winner = tenants[results.indexOf('verified')];
      expect(await r().verifiedOwner('race.example.com')).toBe(winner);
      for (const t of tenants) expect((await r().get(t, 'race.example.com'))?.status).toBe(t === winner ? 'VERIFIED' : 'PENDING');
    });

    it("frees a released tenant's names for another tenant", async () => {
      await r().claim(claim('acme', 'shop.example.com'));
      await r().markVerified('acme', 'shop.example.com', '2030-01-02T00:00:00.000Z');
      await r().releaseTenant('acme');
      expect(await r().list('acme')).toEqual([]);
      expect(await r().verifiedOwner('shop.example.com')).toBeUndefined();
      await r().claim(claim('beta', 'shop.example.com'));
      expect(await r().markVerified('beta', 'shop.example.com', '2030-01-03T00:00:00.000Z')).toBe('verified');
    });
  });
}
