/**
 * Disaster recovery end to end (real MariaDB, php-fpm, nginx, WordPress, restic): a platform with
 * two tenants, each with a site and an upload, backed up (`bbws backup create --all`: every tenant,
 * then the platform, under an operator passphrase); the old data dir is then removed for good, and
 * `bbws restore --platform ID --data-dir NEW` brings it back from the repository alone, so that a
 * platform started on NEW serves every site's homepage and file and accepts a token of the old one.
 * A wrong passphrase is refused with a stable code before anything is written; a restore killed
 * half-way is continued by running the same command again.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/adapters/runtime/local/local-runtime.js';
import { bbwsWith, STACK_TRACE } from '../support/cli-process.js';
import { removeRuntimeOf } from '../support/local-runtime-harness.js';
import { pollUntil } from '../support/poll.js';
import { type LocalPlatform, startLocalPlatform } from '../support/platform-local-harness.js';

const TENANTS = ['drfirst', 'drsecond'];
const PASSPHRASE = 'correct horse battery staple';

describe('bbws restore --platform (disaster recovery)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'bbws-dr-'));
  const repository = join(scratch, 'repository');
  const newDir = join(scratch, 'restored');
  const passphraseFile = join(scratch, 'passphrase');
  const wrongFile = join(scratch, 'wrong');
  let old: LocalPlatform | null = null;
  let restored: LocalPlatform | null = null;
  const sites = new Map<string, string>();
  let oldToken = '';

  beforeAll(async () => {
    writeFileSync(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    writeFileSync(wrongFile, 'not the passphrase at all\n', { mode: 0o600 });
    old = await startLocalPlatform({ BBWS_BACKUP_REPOSITORY: repository });
    for (const t of TENANTS) {
      const created = await old.api('POST', '/v1.0/tenants', { tenantName: t });
      expect((await old.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
      const site = await old.api('POST', `/v1.0/tenants/${t}/sites`, { siteName: 'shop', title: `Shop of ${t}`, adminEmail: 'me@example.com' });
      expect((await old.waitForOperation(site.body.operationId, 180_000)).status).toBe('SUCCEEDED');
      sites.set(t, site.body.siteId);
      const uploads = join((old.platform.runtime as LocalRuntime).tenantPaths(t).content, 'uploads', '2026');
      await mkdir(uploads, { recursive: true });
      await writeFile(join(uploads, 'proof.txt'), `uploaded by ${t}\n`);
    }
    oldToken = await old.token();
  }, 400_000);

  afterAll(async () => {
    await old?.stop().catch(() => undefined);
    await restored?.stop().catch(() => undefined);
    if (!restored) await removeRuntimeOf(newDir);
    rmSync(scratch, { recursive: true, force: true });
  }, 120_000);

  let platformId = '';

  it('backup create --all backs up every tenant, then the platform under the passphrase; list, show and verify know it', async () => {
    const none = await bbwsWith({ BBWS_BACKUP_PASSPHRASE: '' }, 'backup', 'create', '--all', '--data-dir', old!.dataDir);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/--passphrase-file FILE or set BBWS_BACKUP_PASSPHRASE/);
    const r = await bbwsWith({ BBWS_BACKUP_PASSPHRASE: '' }, 'backup', 'create', '--all', '--passphrase-file', passphraseFile, '--data-dir', old!.dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/copy state\.db \(SQLite online backup\)/);
    const list = JSON.parse((await bbwsWith({}, 'backup', 'list', '--json', '--data-dir', old!.dataDir)).stdout).backups as any[];
    const platform = list.filter((b) => b.scope === 'platform');
    expect(platform).toHaveLength(1);
    expect(list.filter((b) => b.scope === 'tenant').map((b) => b.tenantId).sort()).toEqual(TENANTS);
    platformId = platform[0].backupId;
    expect(platform[0].verification.status).toBe('UNVERIFIED');
    const show = await bbwsWith({}, 'backup', 'show', platformId, '--data-dir', old!.dataDir);
    expect(show.stdout).toMatch(/scope\s+platform/);
    const v = await bbwsWith({}, 'backup', 'verify', platformId, '--passphrase-file', passphraseFile, '--json', '--data-dir', old!.dataDir);
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout).verification.status).toBe('VERIFIED');
  }, 300_000);

  it('a wrong passphrase is refused with a stable code, and the target is not created', async () => {
    const r = await bbwsWith({}, 'restore', '--platform', platformId, '--data-dir', newDir, '--repository', repository, '--passphrase-file', wrongFile);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/401 BACKUP_PASSPHRASE_INVALID/);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(existsSync(newDir)).toBe(false);
  }, 60_000);

  it('restores the whole platform on a fresh data dir from the repository alone: every site serves its homepage', async () => {
    // The same edge port as the old platform's (WordPress's URLs carry it), as on a replacement host.
    const edgePort = old!.edgePort;
    // A newer backup of drsecond whose record does not match its snapshot (its dump is not where the
    // record says): the restore falls back to the one before it. Then a second platform backup, taken as `latest`.
    const firstOfSecond = (await old!.api('GET', '/v1.0/backups?tenantId=drsecond')).body.backups[0].backupId as string;
    const newer = await bbwsWith({}, 'backup', 'create', '--tenant', 'drsecond', '--json', '--data-dir', old!.dataDir);
    const damaged = JSON.parse(newer.stdout).backupId as string;
    const recordFile = join(old!.dataDir, 'backup-catalog', `${damaged}.json`);
    const record = JSON.parse(readFileSync(recordFile, 'utf8'));
    record.paths.work = `${record.paths.work}-gone`;
    writeFileSync(recordFile, JSON.stringify(record));
    expect((await bbwsWith({}, 'backup', 'create', '--platform', '--passphrase-file', passphraseFile, '--data-dir', old!.dataDir)).code).toBe(0);
    await old!.stop();
    old = null;
    const args = ['restore', '--platform', 'latest', '--data-dir', newDir, '--repository', repository, '--passphrase-file', passphraseFile, '--edge-port', String(edgePort), '--json'];
    // kill -9 half-way (a tenant being restored): the data dir says so, and the same command continues.
    const first = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../support/cli-entry.ts'), ...args], { env: { ...process.env, BBWS_DATA_DIR: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let progress = '';
    first.stderr!.on('data', (b: Buffer) => (progress += b.toString()));
    await pollUntil('a tenant being restored', async () => /restore database and content/.test(progress), 180_000, 50);
    first.kill('SIGKILL');
    await new Promise((r) => first.on('exit', r));
    expect(existsSync(join(newDir, 'platform-restore.json'))).toBe(true);
    // bbws up will not serve a half-restored platform.
    const up = await bbwsWith({}, 'up', '--data-dir', newDir, '--api-port', '0', '--edge-port', String(edgePort));
    expect([up.code, up.stderr]).toEqual([1, expect.stringMatching(/unfinished platform restore/)]);
    const r = await bbwsWith({}, ...args);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(true);
    expect(report.tenants.map((t: any) => [t.tenantId, t.status, t.sites])).toEqual(TENANTS.map((t) => [t, 'RESTORED', 1]));
    expect(report.backupId).not.toBe(platformId);
    expect(report.tenants.find((t: any) => t.tenantId === 'drsecond').backupId).toBe(firstOfSecond);
    expect(r.stderr).toMatch(new RegExp(`drsecond: backup ${damaged}: `));
    // Progress for each tenant on stderr, and the command to start it.
    expect(r.stderr).toMatch(/\[\d\/2\] drfirst: restore database and content/);
    expect(r.stderr).toMatch(/bbws up --data-dir/);
    expect(existsSync(join(newDir, 'platform-restore.json'))).toBe(false);
    expect(existsSync(join(scratch, '.restored.platform-restore'))).toBe(false);

    expect(r.stderr).toContain(`--edge-port ${edgePort}`);
    restored = await startLocalPlatform({ BBWS_BACKUP_REPOSITORY: repository }, { dataDir: newDir, edgePort });
    for (const t of TENANTS) {
      const home = await restored.edge(`shop.${t}.wpdev.localhost`);
      expect(home.status, home.body.slice(0, 300)).toBe(200);
      expect(home.body).toContain(`<title>Shop of ${t}`);
      const file = join((restored.platform.runtime as LocalRuntime).tenantPaths(t).content, 'uploads', '2026', 'proof.txt');
      expect(readFileSync(file, 'utf8')).toBe(`uploaded by ${t}\n`);
      const site = await restored.api('GET', `/v1.0/tenants/${t}/sites/${sites.get(t)}`, undefined, oldToken);
      expect(site.status).toBe(200);
    }
    // The catalog came along: the tenants' backups are listed and restorable on the new platform.
    const backups = (await restored.api('GET', '/v1.0/backups')).body.backups as any[];
    expect([...new Set(backups.filter((b) => b.scope === 'tenant').map((b) => b.tenantId))].sort()).toEqual(TENANTS);
  }, 600_000);

  it('refuses a data dir that holds something else', async () => {
    const r = await bbwsWith({}, 'restore', '--platform', platformId, '--data-dir', restored!.dataDir, '--repository', repository, '--passphrase-file', passphraseFile);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/409 PLATFORM_RESTORE_TARGET_NOT_EMPTY/);
  }, 60_000);
});
