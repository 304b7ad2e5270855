/**
 * The Secrets port's contract (src/ports/secrets.ts): values round-trip exactly, a put replaces,
 * delete is idempotent, list gives names only, sorted, filtered by prefix, listAges gives the same
 * names with the time of the last put (never a value), and a name that could
 * escape its store (a path, `..`) is refused. Run it from `secrets.<adapter>.test.ts` with a
 * factory that builds a fresh, isolated secret store per test (Secrets Manager: a name prefix
 * per test).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Secrets } from '../../src/ports/secrets.js';

export type MakeSecrets = () => Promise<{ secrets: Secrets; cleanup: () => Promise<void> }>;

export function describeSecretsContract(name: string, makeSecrets: MakeSecrets): void {
  describe(`Secrets contract: ${name}`, () => {
    let ctx: Awaited<ReturnType<MakeSecrets>> | undefined;
    const s = () => ctx!.secrets;
    beforeEach(async () => {
      ctx = await makeSecrets();
    });
    afterEach(async () => {
      const current = ctx;
      ctx = undefined;
      await current?.cleanup();
    });

    it('round-trips any string value exactly, and replaces on a second put', async () => {
      const value = '{"password":"p@ss wörd\\n\'\\"$(rm -rf /)"}\n\u0000 end';
      await s().put('dev-acme-db-credentials', value);
      expect(await s().get('dev-acme-db-credentials')).toBe(value);
      await s().put('dev-acme-db-credentials', 'second');
      expect(await s().get('dev-acme-db-credentials')).toBe('second');
      await s().put('dev-acme-empty', '');
      expect(await s().get('dev-acme-empty')).toBe('');
    });

    it('answers undefined for a missing secret, and deletes idempotently', async () => {
      expect(await s().get('dev-missing')).toBeUndefined();
      await s().put('dev-acme-x', 'v');
      await s().delete('dev-acme-x');
      await s().delete('dev-acme-x');
      await s().delete('dev-never-there');
      expect(await s().get('dev-acme-x')).toBeUndefined();
    });

    it('lists names only, sorted, filtered by prefix', async () => {
      for (const n of ['dev-beta-db-credentials', 'dev-acme-site-1-admin', 'dev-acme-db-credentials']) await s().put(n, `value of ${n}`);
      expect(await s().list()).toEqual(['dev-acme-db-credentials', 'dev-acme-site-1-admin', 'dev-beta-db-credentials']);
      expect(await s().list('dev-acme-')).toEqual(['dev-acme-db-credentials', 'dev-acme-site-1-admin']);
      expect(await s().list('prod-')).toEqual([]);
      expect(JSON.stringify(await s().list())).not.toContain('value of');
    });

    it('lists names with the time of their last put, never a value; a put makes its secret younger', async () => {
      const before = Date.now();
      await s().put('dev-acme-db-credentials', 'value one');
      await s().put('dev-beta-db-credentials', 'value two');
      const ages = await s().listAges();
      expect(ages.map((a) => a.name)).toEqual(['dev-acme-db-credentials', 'dev-beta-db-credentials']);
      for (const a of ages) {
        expect(Object.keys(a).sort()).toEqual(['name', 'updatedAt']);
        expect(Date.parse(a.updatedAt)).toBeGreaterThanOrEqual(before - 1000);
        expect(Date.parse(a.updatedAt)).toBeLessThanOrEqual(Date.now() + 1000);
      }
      expect(JSON.stringify(ages)).not.toContain('value');
      await new Promise((r) => setTimeout(r, 20));
      await s().put('dev-beta-db-credentials', 'value three');
      const [acme, beta] = await s().listAges();
      expect(Date.parse(beta!.updatedAt)).toBeGreaterThan(Date.parse(acme!.updatedAt));
      expect((await s().listAges('dev-acme-')).map((a) => a.name)).toEqual(['dev-acme-db-credentials']);
      await s().delete('dev-acme-db-credentials');
      expect((await s().listAges()).map((a) => a.name)).toEqual(['dev-beta-db-credentials']);
    });

    it('refuses names that could reach outside the store, and stores nothing for them', async () => {
      for (const bad of ['../escape', 'a/b', '/etc/passwd', '', 'x'.repeat(300), 'a..b']) {
        await expect(s().put(bad, 'v')).rejects.toThrow();
      }
      expect(await s().list()).toEqual([]);
    });

    it('lists every name across pages', async () => {
      for (let i = 0; i < 120; i++) await s().put(`dev-t${String(i).padStart(3, '0')}-db-credentials`, `v${i}`);
      await s().put('sit-other-db-credentials', 'x');
      const names = await s().list('dev-');
      expect(names).toHaveLength(120);
      expect(names[0]).toBe('dev-t000-db-credentials');
      expect(await s().list()).toHaveLength(121);
    });
  });
}
