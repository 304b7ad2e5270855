/**
 * The Tokens port's contract (src/ports/tokens.ts): a token verifies to the claims it was signed
 * with, only on the authority that signed it, until it expires by the authority's clock; cached
 * verification never outlives expiry. Run it from `tokens.<adapter>.test.ts` with a factory that
 * makes an independent authority (its own key) on the given clock.
 */
import { describe, expect, it } from 'vitest';
import type { Tokens } from '../../src/ports/tokens.js';
import { expectBbwsError } from '../support/expect-error.js';
import { createManualClock } from '../support/manual-clock.js';

export type MakeTokens = (options: { now: () => number }) => Promise<Tokens>;

export function describeTokensContract(name: string, makeTokens: MakeTokens): void {
  describe(`Tokens contract: ${name}`, () => {
    it('verifies a token to the claims it was signed with', async () => {
      const tokens = await makeTokens({ now: createManualClock().now });
      expect(await tokens.verify(await tokens.sign({ role: 'platform-admin' }, 60))).toEqual({ subject: 'operator', role: 'platform-admin', tenantId: null });
      expect(await tokens.verify(await tokens.sign({ role: 'tenant-admin', tenantId: 'acme' }, 60))).toEqual({ subject: 'tenant:acme', role: 'tenant-admin', tenantId: 'acme' });
      expect(await tokens.verify(await tokens.sign({ role: 'platform-admin', subject: 'ci-bot' }, 60))).toMatchObject({ subject: 'ci-bot' });
    });

    it('refuses to sign bad claims', async () => {
      const tokens = await makeTokens({ now: createManualClock().now });
      await expectBbwsError(tokens.sign({ role: 'tenant-admin' }, 60), 'VALIDATION_FAILED');
      await expectBbwsError(tokens.sign({ role: 'tenant-admin', tenantId: '../x' }, 60), 'VALIDATION_FAILED');
      await expectBbwsError(tokens.sign({ role: 'root' as never }, 60), 'VALIDATION_FAILED');
    });

    it('expires by its clock, for fresh and for cached verification alike', async () => {
      const clock = createManualClock();
      const tokens = await makeTokens({ now: clock.now });
      const seen = await tokens.sign({ role: 'platform-admin' }, 60);
      const unseen = await tokens.sign({ role: 'platform-admin' }, 60);
      expect(tokens.verifyCached(seen)).toBeUndefined();
      await tokens.verify(seen);
      expect(tokens.verifyCached(seen)).toMatchObject({ role: 'platform-admin' });
      clock.advanceSeconds(59);
      expect(tokens.verifyCached(seen)).toMatchObject({ role: 'platform-admin' });
      clock.advanceSeconds(1);
      expect(() => tokens.verifyCached(seen)).toThrow(expect.objectContaining({ code: 'TOKEN_EXPIRED' }));
      await expectBbwsError(tokens.verify(seen), 'TOKEN_EXPIRED');
      await expectBbwsError(tokens.verify(unseen), 'TOKEN_EXPIRED');
    });

    it("refuses another authority's token, a tampered one and garbage as UNAUTHORIZED", async () => {
      const clock = createManualClock();
      const tokens = await makeTokens({ now: clock.now });
      const other = await makeTokens({ now: clock.now });
      await expectBbwsError(tokens.verify(await other.sign({ role: 'platform-admin' }, 60)), 'UNAUTHORIZED');
      const [header, , signature] = (await tokens.sign({ role: 'tenant-admin', tenantId: 'acme' }, 60)).split('.');
      const forgedPayload = Buffer.from(JSON.stringify({ role: 'platform-admin', sub: 'x', exp: 4102444800 })).toString('base64url');
      await expectBbwsError(tokens.verify(`${header}.${forgedPayload}.${signature}`), 'UNAUTHORIZED');
      for (const garbage of ['', 'x', 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJyb2xlIjoicGxhdGZvcm0tYWRtaW4ifQ.']) await expectBbwsError(tokens.verify(garbage), 'UNAUTHORIZED');
      expect(tokens.verifyCached('a.b.c')).toBeUndefined();
    });
  });
}
