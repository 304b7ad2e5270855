/**
 * `bbws backup …` and `bbws restore …` as an operator runs them (child process) against the whole
 * platform with real MariaDB, php-fpm, nginx, WordPress and restic: progress on stderr, the
 * backup id and tables on stdout, confirmations, errors with the next step and no stack trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/adapters/runtime/local/local-runtime.js';
import { createTenantAccess, type LocalTenantAccess } from '../../src/adapters/wordpress/local/create-tenant-access.js';
import { bbws, STACK_TRACE } from '../support/cli-process.js';
import { type LocalPlatform, startLocalPlatform } from '../support/platform-local-harness.js';

const TENANT = 'clibackup';

describe('bbws backup / restore against the local platform', () => {
  let p: LocalPlatform;
  let siteId: string;
  let access: LocalTenantAccess;
  const blogname = async () => (await access.query<{ v: string }>(`SELECT option_value AS v FROM s${siteId}_options WHERE option_name = 'blogname'`))[0]?.v;
  beforeAll(async () => {
    p = await startLocalPlatform();
    const created = await p.api('POST', '/v1.0/tenants', { tenantName: TENANT });
    expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    const site = await p.api('POST', `/v1.0/tenants/${TENANT}/sites`, { siteName: 'shop', title: 'Corner Shop', adminEmail: 'me@example.com' });
    siteId = site.body.siteId;
    expect((await p.waitForOperation(site.body.operationId)).status).toBe('SUCCEEDED');
    access = await createTenantAccess(p.platform.runtime as LocalRuntime, p.platform.deps.secrets, TENANT);
  }, 240_000);
  afterAll(async () => {
    await access?.close();
    await p?.stop();
  }, 60_000);

  let backupId: string;

  it('backup create shows progress and prints the backup id; list and show say UNVERIFIED; verify --latest verifies', async () => {
    const r = await bbws('backup', 'create', '--tenant', TENANT, '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    // Each step as it ends (and, on long work, as it starts: `…  <step>`), with its duration.
    expect(r.stderr).toMatch(/SUCCEEDED\s+dump database \(mariadb-dump --single-transaction\) and hash files \(\d+ ms\)/);
    expect(r.stderr).toMatch(/SUCCEEDED\s+snapshot to the repository \(restic\) \(\d+ ms\)/);
    backupId = /id\s+(bk-[a-z0-9]{12})/.exec(r.stdout)![1]!;
    const list = await bbws('backup', 'list', '--tenant', TENANT, '--data-dir', p.dataDir);
    expect(list.stdout).toMatch(new RegExp(`${backupId}\\s+tenant\\s+${TENANT}\\s+-\\s+full\\s+manual.*UNVERIFIED`));
    const show = await bbws('backup', 'show', backupId, '--data-dir', p.dataDir);
    expect(show.stdout).toMatch(new RegExp(`s${siteId}_posts\\s+\\d+`));
    const v = await bbws('backup', 'verify', '--latest', '--tenant', TENANT, '--json', '--data-dir', p.dataDir);
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout).backup.verification.status).toBe('VERIFIED');
    expect(v.stderr).toMatch(/SUCCEEDED\s+serve the restored copy on a scratch route and check its homepage \(\d+ ms\)/);
    // The restored copy's homepage, served through the edge, with the site's title recorded at backup time.
    expect(JSON.parse(v.stdout).backup.verification.homepages).toEqual([{ siteId, status: 200, title: expect.stringMatching(/^Corner Shop/), expectedTitle: 'Corner Shop', ms: expect.any(Number), ok: true, note: null }]);
    const shown = await bbws('backup', 'show', backupId, '--data-dir', p.dataDir);
    expect(shown.stdout).toMatch(/homepage\s+1 of 1 served by the restored copy answered as expected/);
    expect(shown.stdout).toMatch(new RegExp(`${siteId}\\s+200\\s+Corner Shop.*\\s+Corner Shop\\s+\\d+\\s+OK`));
  }, 120_000);

  it('restore asks for --in-place and --yes, then restores; restore undo returns to the checkpoint', async () => {
    await access.query(`UPDATE s${siteId}_options SET option_value = 'Renamed' WHERE option_name = 'blogname'`);
    const noMode = await bbws('restore', backupId, '--data-dir', p.dataDir);
    expect(noMode.code).not.toBe(0);
    expect(noMode.stderr).toMatch(/--in-place --yes/);
    const noYes = await bbws('restore', backupId, '--in-place', '--data-dir', p.dataDir);
    expect(noYes.stderr).toMatch(/--yes to confirm/);
    expect(await blogname()).toBe('Renamed');
    const r = await bbws('restore', backupId, '--in-place', '--yes', '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/checkpoint backup of the target/);
    expect(await blogname()).toBe('Corner Shop');
    const u = await bbws('restore', 'undo', '--tenant', TENANT, '--data-dir', p.dataDir);
    expect(u.code, u.stderr).toBe(0);
    expect(await blogname()).toBe('Renamed');
  }, 180_000);

  it('bad input: clear errors with the next step, no stack trace, nothing changed', async () => {
    const before = (await bbws('backup', 'list', '--json', '--data-dir', p.dataDir)).stdout;
    for (const args of [['backup', 'show', 'bk-nosuchbackup1'], ['backup', 'create'], ['backup', 'create', '--tenant', 'nosuchtenant'], ['backup', 'prune', '--retention', 'forever'], ['restore', 'undo', '--tenant', 'nosuchtenant']]) {
      const r = await bbws(...args, '--data-dir', p.dataDir);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).not.toMatch(STACK_TRACE);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect((await bbws('backup', 'list', '--json', '--data-dir', p.dataDir)).stdout).toBe(before);
    const dry = await bbws('backup', 'prune', '--dry-run', '--retention', '1d', '--data-dir', p.dataDir);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Would remove \d+ backups \(policy 1d\)/);
    expect((await bbws('backup', 'list', '--json', '--data-dir', p.dataDir)).stdout).toBe(before);
  }, 120_000);
});
