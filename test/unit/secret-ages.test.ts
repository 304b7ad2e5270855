/**
 * The rotation policy (app/secrets/secret-ages.ts) on the real local secret store: ages in whole
 * days, only rotatable secrets (a tenant's database credentials) become overdue, and /health's
 * `secrets` component is degraded exactly while one is.
 */
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { listSecretAges, secretsHealth } from '../../src/app/secrets/secret-ages.js';

const DAY = 86_400_000;

describe('secret ages and the rotation policy', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bbws-secret-ages-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const age = async (name: string, days: number) => {
    const at = new Date(Date.now() - days * DAY);
    await utimes(join(dir, `${name}.secret`), at, at);
  };

  it('only a rotatable secret older than the policy is overdue; health follows it', async () => {
    const secrets = createLocalSecrets({ dir });
    await secrets.put('dev-acme-db-credentials', '{"password":"p1"}');
    await secrets.put('dev-acme-wp-salts', '{}');
    await secrets.put('dev-backup-repository-password', 'p2');
    const deps = { secrets, now: Date.now };
    expect((await secretsHealth(deps, 90)).status).toBe('ok');
    await age('dev-acme-db-credentials', 91);
    await age('dev-acme-wp-salts', 400);
    await age('dev-backup-repository-password', 400);
    const ages = await listSecretAges(deps, 90);
    expect(ages.map((a) => [a.name, a.ageDays, a.overdue, a.rotateWith])).toEqual([
      ['dev-acme-db-credentials', 91, true, 'bbws secrets rotate acme --db'],
      ['dev-acme-wp-salts', 400, false, null],
      ['dev-backup-repository-password', 400, false, null],
    ]);
    expect(JSON.stringify(ages)).not.toContain('p1');
    expect(await secretsHealth(deps, 90)).toMatchObject({ status: 'degraded', detail: expect.stringContaining('dev-acme-db-credentials (91 d)') });
    // A longer policy: not overdue any more.
    expect((await secretsHealth(deps, 100)).status).toBe('ok');
    await secrets.put('dev-acme-db-credentials', '{"password":"rotated"}');
    expect((await secretsHealth(deps, 90)).status).toBe('ok');
  });
});
