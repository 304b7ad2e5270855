/**
 * `kill -9` of a real `bbws up` (a child process running the CLI from source) while a site restore
 * moves the restored uploads through a staging dir in the tenant's dir — the scratch thing that
 * no sweep knew (create-tenant-access.ts) — and then while a verify has its scratch database
 * loaded. After the restart: the operation resumes and succeeds, and nothing of the killed run is
 * left: no staging dir, scratch dir, scratch or trash database, work dir, owner file or restic lock.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repositoryDir, repositoryPasswordSecret } from '../../src/adapters/backup/backup-paths.js';
import { run } from '../../src/adapters/runtime/local/exec.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { killableUp } from '../support/killable-up.js';
import { pollUntil } from '../support/poll.js';

const up = killableUp('bbws-kill9-leftovers-');
const dataDir = up.dataDir;
afterAll(() => up.stop(), 60_000);

describe('kill -9 during a site restore and a verify', () => {
  it('leaves no staging dir, scratch dir or database, owner file or lock after the next run', async () => {
    await up.start();
    const call = up.call;
    const done = (operationId: string) => pollUntil(`operation ${operationId}`, async () => {
      const op = await call('GET', `/v1.0/operations/${operationId}`);
      return op.status === 'SUCCEEDED' || op.status === 'FAILED' ? op : undefined;
    }, 240_000, 250);
    const created = await call('POST', '/v1.0/tenants', { tenantName: 'killlo' });
    expect((await done(created.operationId)).status).toBe('SUCCEEDED');
    const site = await call('POST', '/v1.0/tenants/killlo/sites', { siteName: 'shop', title: 'Shop', adminEmail: 'owner@example.com' });
    expect((await done(site.operationId)).status).toBe('SUCCEEDED');
    const runtimeRoot = readFileSync(join(dataDir, 'runtime-root'), 'utf8').trim();
    const tenantDir = join(runtimeRoot, 'tenants', 'killlo');
    const uploads = join(tenantDir, 'content', 'uploads', 'sites', site.siteId);
    // 20,000 small files: handing them to the tenant in the staging dir (chown -R) takes long enough to be killed in.
    // Made by root here, then the tenant's (as WordPress would have made them: uploads/ is the tenant's).
    await run('sh', ['-c', 'mkdir -p "$1/many" && cd "$1/many" && seq 1 20000 | xargs touch && chown -R --reference="$2" "$2/sites"', 'sh', uploads, join(tenantDir, 'content', 'uploads')], { timeoutMs: 120_000 });
    const base = `/v1.0/tenants/killlo/sites/${site.siteId}/backups`;
    const backup = await call('POST', base, {});
    expect((await done(backup.operationId)).status).toBe('SUCCEEDED');

    const staging = () => readdirSync(tenantDir).filter((n) => n.startsWith('staging-'));
    const dbs = async () => (await run('mariadb', ['--no-defaults', `--socket=${join(runtimeRoot, 'mariadb', 'run', 'mysqld.sock')}`, '--user=root', '-N', '-e', "SHOW DATABASES LIKE 'bbws\\_%'"])).stdout;
    const killWhen = async (what: string, seen: () => Promise<boolean>) => {
      await pollUntil(what, seen, 120_000, 5);
      await up.kill();
    };
    const restartAndFinish = async (operationId: string) => {
      await up.start();
      return done(operationId);
    };
    const assertNothingLeft = async () => {
      expect(staging()).toEqual([]);
      expect(await dbs()).toBe('');
      const entries = (d: string) => (existsSync(join(dataDir, d)) ? readdirSync(join(dataDir, d)) : []);
      expect(entries('backup-scratch')).toEqual([]);
      expect(entries('backup-work')).toEqual([]);
      expect(readdirSync(join(uploads, '..')).filter((n) => /\.bbws-(new|old)$/.test(n))).toEqual([]);
      const password = await createLocalSecrets({ dir: join(dataDir, 'secrets') }).get(repositoryPasswordSecret('dev'));
      const locks = await run('restic', ['--no-cache', 'list', 'locks'], { env: { PATH: process.env.PATH!, HOME: '/root', RESTIC_REPOSITORY: repositoryDir(dataDir), RESTIC_PASSWORD: password! } });
      expect(locks.stdout.trim()).toBe('');
    };

    const restore = await call('POST', `${base}/${backup.backupId}/restore`, { inPlace: true });
    await killWhen('a staging dir', async () => staging().length > 0);
    expect(staging()).toHaveLength(1); // killed with the staging dir there
    const rop = await restartAndFinish(restore.operationId);
    expect(rop.status, JSON.stringify(rop)).toBe('SUCCEEDED');
    await assertNothingLeft();
    expect(readdirSync(join(uploads, 'many'))).toHaveLength(20000);

    const verify = await call('POST', `/v1.0/backups/${backup.backupId}/verify`, {});
    await killWhen('a scratch database', async () => (await dbs()).includes('bbws_scratch_'));
    const vop = await restartAndFinish(verify.operationId);
    expect(vop.status, JSON.stringify(vop)).toBe('SUCCEEDED');
    await assertNothingLeft();
  }, 600_000);
});
