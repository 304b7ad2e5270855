/**
 * The Secrets port's contract: put replaces, get of a missing name is undefined, delete is
 * idempotent, list gives names only (sorted, by prefix). Run from `secrets.<adapter>.test.ts`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Secrets } from '../../src/ports/secrets.js';

export type MakeSecrets = () => Promise<{ secrets: Secrets; cleanup: () => Promise<void> }>;

export function describeSecretsContract(name: string, make: MakeSecrets): void {
  describe(`Secrets contract: ${name}`, () => {
    let ctx: Awaited<ReturnType<MakeSecrets>> | undefined;
    const s = () => ctx!.secrets;
    beforeEach(async () => {
      ctx = await make();
    });
    afterEach(async () => {
      await ctx?.cleanup();
      ctx = undefined;
    });

    it('creates, replaces, reads and deletes a secret; deleting twice is a no-op', async () => {
      expect(await s().get('dev-acme-db-credentials')).toBeUndefined();
      await s().put('dev-acme-db-credentials', '{"password":"one"}');
      await s().put('dev-acme-db-credentials', '{"password":"two"}');
      expect(await s().get('dev-acme-db-credentials')).toBe('{"password":"two"}');
      await s().delete('dev-acme-db-credentials');
      await s().delete('dev-acme-db-credentials');
      expect(await s().get('dev-acme-db-credentials')).toBeUndefined();
    });

    it('lists names only, by prefix, across pages', async () => {
      for (let i = 0; i < 120; i++) await s().put(`dev-t${String(i).padStart(3, '0')}-db-credentials`, `v${i}`);
      await s().put('sit-other-db-credentials', 'x');
      const names = await s().list('dev-');
      expect(names).toHaveLength(120);
      expect(names[0]).toBe('dev-t000-db-credentials');
      expect(names.join(',')).not.toContain('v1');
      expect(await s().list()).toHaveLength(121);
    });
  });
}
