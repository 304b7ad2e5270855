/**
 * Backups on the real parts: MariaDB (mariadb-dump / the mariadb client), WordPress run by php-cli
 * as the tenant's Unix user, real upload files, and a real restic repository under the data dir.
 * Restores are checked by content (post titles, file bytes), not by our own checksums.
 */
import { spawn } from 'node:child_process';
import { open, readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogDir, repositoryDir, scratchRoot, workRoot } from '../../src/adapters/backup/backup-paths.js';
import { createFileBackupCatalog } from '../../src/adapters/backup/file-catalog.js';
import { createLocalBackupEngine } from '../../src/adapters/backup/local-backup-engine.js';
import { processIdentity } from '../../src/adapters/os/processes.js';
import { compareSummaries, dumpDatabase, loadDump } from '../../src/adapters/backup/sql-dump.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { createTenantAccess, type LocalTenantAccess } from '../../src/adapters/wordpress/local/create-tenant-access.js';
import { newBackupId, type BackupRecord } from '../../src/domain/backup.js';
import type { CreateBackupInput } from '../../src/ports/backups.js';
import type { SiteRef } from '../../src/ports/wordpress.js';
import { runSteps, spec, startTestRuntime, type TestRuntime } from '../support/local-runtime-harness.js';

const TENANT = 'acmebackup';
const site: SiteRef = { tenantId: TENANT, siteId: 'backsite01', hostnames: ['www.acmebackup.wpdev.localhost'] };

let t: TestRuntime;
let access: LocalTenantAccess;
let engine: ReturnType<typeof createLocalBackupEngine>;
const catalog = () => createFileBackupCatalog({ dir: catalogDir(t.dataDir) });

async function wp<T = unknown>(code: string, input?: unknown): Promise<T> {
  return JSON.parse(await access.php(site, code, input, { loadWordPress: true })) as T;
}
const titles = () => wp<string[]>(`echo json_encode(array_map(fn($p) => $p->post_title, get_posts(['numberposts' => -1, 'orderby' => 'ID', 'order' => 'ASC'])));`);
const uploadFile = () => join(access.uploadsDir(site.siteId), '2024', '01', 'hello.txt');

const input = (over: Partial<CreateBackupInput> = {}): CreateBackupInput => ({
  backupId: newBackupId(),
  tenantId: TENANT,
  siteId: null,
  type: 'full',
  reason: 'manual',
  parentId: null,
  sites: [{ siteId: site.siteId, siteName: 'www', hostnames: site.hostnames }],
  spec: { tenantId: TENANT },
  ...over,
});

describe('backups with restic (real MariaDB, WordPress, restic)', () => {
  beforeAll(async () => {
    t = await startTestRuntime('dev');
    await runSteps(t.runtime.provisionSteps(spec(TENANT)));
    const secrets = createLocalSecrets({ dir: join(t.dataDir, 'secrets') });
    access = await createTenantAccess(t.runtime, secrets, TENANT);
    await access.php(
      site,
      `define('WP_INSTALLING', true); require_once ABSPATH . 'wp-load.php'; require_once ABSPATH . 'wp-admin/includes/upgrade.php';
       wp_install('Acme Backup', 'admin', 'admin@example.com', true, '', 'pw-123456789');`,
    );
    await wp(`foreach (['First', 'Second', 'Third'] as $t) wp_insert_post(['post_title' => $t, 'post_status' => 'publish', 'post_content' => 'body ü ' . $t]);
      $dir = wp_upload_dir()['basedir'] . '/2024/01'; wp_mkdir_p($dir); file_put_contents($dir . '/hello.txt', 'hello from the backup test'); echo 'true';`);
    engine = createLocalBackupEngine({ runtime: t.runtime, secrets, catalog: catalog(), logger: silent(), env: 'dev', dataDir: t.dataDir });
  }, 180_000);

  afterAll(async () => {
    await access?.close();
    await t?.cleanup();
  });

  let full: BackupRecord;

  it('a tenant backup records tables, files and sizes, starts UNVERIFIED, and verifies', async () => {
    const steps: string[] = [];
    full = await engine.createBackup(input(), (s) => steps.push(s));
    expect(steps).toContain('dump database (mariadb-dump --single-transaction) and hash files');
    const posts = full.tables.find((x) => x.name === `s${site.siteId}_posts`);
    expect(posts!.rows).toBeGreaterThanOrEqual(4); // 3 posts + WordPress's sample post and page
    expect(full.files!.files).toBeGreaterThan(0);
    expect(full.verification.status).toBe('UNVERIFIED');
    expect((await catalog().get(full.backupId))!.snapshotId).toBe(full.snapshotId);
    // The repository is the platform's: 0700 root, encrypted (no plain dump text in it).
    expect((await stat(repositoryDir(t.dataDir))).mode & 0o077).toBe(0);
    const verified = await engine.verifyBackup(full.backupId);
    expect(verified.verification).toMatchObject({ status: 'VERIFIED', error: null });
    expect((await catalog().get(full.backupId))!.verification.status).toBe('VERIFIED');
    // Scratch copies are gone.
    expect(await readdir(scratchRoot(t.dataDir)).catch(() => [])).toEqual([]);
    expect(await t.runtime.database.sql("SHOW DATABASES LIKE 'bbws\\_%';")).toBe('');
  }, 120_000);

  it('restore in place brings deleted posts and a deleted upload back, by content', async () => {
    await wp(`foreach (get_posts(['numberposts' => -1]) as $p) wp_delete_post($p->ID, true); echo 'true';`);
    await access.asTenant('rm', ['-f', '--', uploadFile()]);
    expect(await titles()).toEqual([]);
    await engine.restoreInPlace(full.backupId);
    expect(await titles()).toEqual(['Hello world!', 'First', 'Second', 'Third']);
    expect(await readFile(uploadFile(), 'utf8')).toBe('hello from the backup test');
    // The tenant owns its uploads again (replaced as the tenant).
    expect((await stat(uploadFile())).uid).toBe((await stat(access.uploadsDir(site.siteId))).uid);
  }, 120_000);

  it('a site backup holds only the site tables; an unchanged incremental adds under 1 MB', async () => {
    const first = await engine.createBackup(input({ siteId: site.siteId }));
    expect(first.scope).toBe('site');
    expect(first.tables.every((x) => x.name.startsWith(`s${site.siteId}_`))).toBe(true);
    const again = await engine.createBackup(input({ siteId: site.siteId, type: 'incremental', parentId: first.backupId }));
    expect(again.parentId).toBe(first.backupId);
    expect(again.sizes.repositoryAdded).toBeLessThan(1024 * 1024);
    expect(again.files).toEqual(first.files);
    // An incremental hashes only changed files (file-digest-cache.ts): a same-size change is seen, and verifies.
    const before = await readFile(uploadFile(), 'utf8');
    await writeFile(uploadFile(), before.toUpperCase());
    const changed = await engine.createBackup(input({ siteId: site.siteId, type: 'incremental', parentId: again.backupId }));
    expect(changed.files!.bytes).toBe(first.files!.bytes);
    expect(changed.files!.sha256).not.toBe(first.files!.sha256);
    expect((await engine.verifyBackup(changed.backupId)).verification.status).toBe('VERIFIED');
    await writeFile(uploadFile(), before);
    await wp(`wp_insert_post(['post_title' => 'After the backup', 'post_status' => 'publish']); echo 'true';`);
    await engine.restoreInPlace(again.backupId);
    expect(await titles()).toEqual(['Hello world!', 'First', 'Second', 'Third']);
  }, 120_000);

  it('a dump loads the same rows over two client sessions; a dump with a view loads too (in one session)', async () => {
    const db = t.runtime.database;
    const dir = join(t.dataDir, 'load-test');
    await mkdir(dir, { recursive: true });
    try {
      await db.sql(
        [
          'CREATE DATABASE bbws_loadsrc; CREATE DATABASE bbws_loaddst; CREATE DATABASE bbws_loadview; USE bbws_loadsrc;',
          ...['a', 'b', 'c'].map((n) => `CREATE TABLE ${n} (id INT PRIMARY KEY, v TEXT); INSERT INTO ${n} SELECT seq, CONCAT('${n}', seq, '\\n;') FROM seq_1_to_500;`),
        ].join('\n'),
      );
      const expected = await dumpDatabase(db.clientArgs, 'bbws_loadsrc', join(dir, 'src.sql'));
      await loadDump(db.clientArgs, 'bbws_loaddst', join(dir, 'src.sql'));
      expect(compareSummaries(expected, await dumpDatabase(db.clientArgs, 'bbws_loaddst', join(dir, 'dst.sql')))).toEqual([]);
      await db.sql('CREATE VIEW bbws_loadsrc.v_ab AS SELECT a.id, b.v FROM bbws_loadsrc.a JOIN bbws_loadsrc.b USING (id);');
      await dumpDatabase(db.clientArgs, 'bbws_loadsrc', join(dir, 'view.sql'));
      await loadDump(db.clientArgs, 'bbws_loadview', join(dir, 'view.sql'));
      expect(await db.sql('SELECT COUNT(*) FROM bbws_loadview.v_ab;')).toBe('500\n');
    } finally {
      await db.sql('DROP DATABASE IF EXISTS bbws_loadsrc; DROP DATABASE IF EXISTS bbws_loaddst; DROP DATABASE IF EXISTS bbws_loadview;');
    }
  }, 60_000);

  it('verify fails, naming the backup, after one byte of a pack file is flipped', async () => {
    // A repository of its own (BBWS_BACKUP_REPOSITORY): the flipped bytes must not break the others' tests.
    const location = join(t.dataDir, 'other-repository');
    const engine = createLocalBackupEngine({ runtime: t.runtime, secrets: createLocalSecrets({ dir: join(t.dataDir, 'secrets') }), catalog: catalog(), logger: silent(), env: 'dev', dataDir: t.dataDir, repository: location });
    const victim = await engine.createBackup(input({ siteId: site.siteId, type: 'full' }));
    const packs: string[] = [];
    const walk = async (d: string) => {
      for (const e of await readdir(d, { withFileTypes: true })) e.isDirectory() ? await walk(join(d, e.name)) : packs.push(join(d, e.name));
    };
    await walk(join(location, 'data'));
    const sizes = await Promise.all(packs.map(async (p) => ({ p, size: (await stat(p)).size })));
    const copy = await engine.verifyBackup(victim.backupId);
    expect(copy.verification.status).toBe('VERIFIED');
    // Flip one byte in the middle of every pack (restic packs are read-only files: root can still write them).
    for (const { p, size } of sizes) {
      const fh = await open(p, 'r+');
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, Math.floor(size / 2));
      b[0] ^= 0xff;
      await fh.write(b, 0, 1, Math.floor(size / 2));
      await fh.close();
    }
    const broken = await engine.verifyBackup(victim.backupId);
    expect(broken.verification.status).toBe('FAILED');
    expect(broken.verification.error).toContain(victim.backupId);
    expect((await catalog().get(victim.backupId))!.verification.status).toBe('FAILED');
    // Restoring from it changes nothing.
    await expect(engine.restoreInPlace(victim.backupId)).rejects.toThrow();
    expect(await titles()).toEqual(['Hello world!', 'First', 'Second', 'Third']);
  }, 120_000);

  it('retention keeps exactly what the policy says (restic forget --keep-daily/weekly/monthly), per site', async () => {
    // Back-dated snapshots: two on one day, one on each of two days before, one a month earlier.
    const times = ['2026-11-02T10:00:00Z', '2026-11-30T09:00:00Z', '2026-12-01T09:00:00Z', '2026-12-02T08:00:00Z', '2026-12-02T09:00:00Z'];
    const location = join(t.dataDir, 'retention-repository');
    const secrets = createLocalSecrets({ dir: join(t.dataDir, 'secrets') });
    const made: BackupRecord[] = [];
    for (const at of times) {
      const e = createLocalBackupEngine({ runtime: t.runtime, secrets, catalog: catalog(), logger: silent(), env: 'dev', dataDir: t.dataDir, repository: location, clock: () => new Date(at) });
      made.push(await e.createBackup(input({ siteId: site.siteId, type: 'incremental' })));
    }
    const e = createLocalBackupEngine({ runtime: t.runtime, secrets, catalog: catalog(), logger: silent(), env: 'dev', dataDir: t.dataDir, repository: location });
    // 2 daily: the last of 12-02 (09:00) and of 12-01; 1 weekly: the last of this week (12-02 09:00 again);
    // 2 monthly: the last of December (again) and of November (11-30). 11-02 and 12-02 08:00 go.
    const policy = { last: 0, hourly: 0, daily: 2, weekly: 1, monthly: 2 };
    const dry = await e.prune(policy, { dryRun: true });
    const gone = dry.removed.map((r) => r.createdAt).sort();
    expect(gone).toEqual(['2026-11-02T10:00:00.000Z', '2026-12-02T08:00:00.000Z']);
    expect((await catalog().list()).filter((r) => made.some((m) => m.backupId === r.backupId))).toHaveLength(5);
    const real = await e.prune(policy, { dryRun: false });
    expect(real.removed.map((r) => r.backupId).sort()).toEqual(dry.removed.map((r) => r.backupId).sort());
    const left = (await catalog().list()).filter((r) => made.some((m) => m.backupId === r.backupId)).map((r) => r.createdAt).sort();
    expect(left).toEqual(['2026-11-30T09:00:00.000Z', '2026-12-01T09:00:00.000Z', '2026-12-02T09:00:00.000Z']);
    expect(await e.repository.snapshots(['bbws'])).toHaveLength(3);
  }, 120_000);

  it('a repository that cannot be reached: BACKUP_REPOSITORY_UNAVAILABLE, and nothing is recorded', async () => {
    const e = createLocalBackupEngine({ runtime: t.runtime, secrets: createLocalSecrets({ dir: join(t.dataDir, 'secrets') }), catalog: catalog(), logger: silent(), env: 'dev', dataDir: t.dataDir, repository: 'rest:http://127.0.0.1:9/' });
    const before = (await catalog().list()).length;
    await expect(e.createBackup(input())).rejects.toMatchObject({ code: 'BACKUP_REPOSITORY_UNAVAILABLE' });
    expect((await catalog().list()).length).toBe(before);
  }, 60_000);

  it('leftovers of a killed run (work dir, scratch dir and database, snapshot without record) are removed', async () => {
    await mkdir(join(workRoot(t.dataDir), 't-ghost'), { recursive: true });
    await writeFile(join(workRoot(t.dataDir), 't-ghost', 'db.sql'), 'x');
    await mkdir(join(scratchRoot(t.dataDir), 'abcdefghijkl'), { recursive: true });
    await t.runtime.database.sql('CREATE DATABASE bbws_scratch_abcdefghijkl; CREATE DATABASE bbws_keepme_abcdefghijkl;');
    const orphan = await engine.repository.backup([workRoot(t.dataDir)], { tags: ['bbws', 'scope=tenant', `tenant=${TENANT}`] });
    const removed = await engine.cleanupLeftovers();
    expect(removed).toEqual(expect.arrayContaining([join(workRoot(t.dataDir), 't-ghost'), join(scratchRoot(t.dataDir), 'abcdefghijkl'), 'database bbws_scratch_abcdefghijkl']));
    expect(removed.some((r) => r.startsWith(`snapshot ${orphan.snapshotId}`))).toBe(true);
    expect(await t.runtime.database.sql("SHOW DATABASES LIKE 'bbws\\_%';")).toBe('bbws_keepme_abcdefghijkl\n');
    await t.runtime.database.sql('DROP DATABASE bbws_keepme_abcdefghijkl;');
    // Recorded backups keep their snapshots.
    const snaps = await engine.repository.snapshots(['bbws']);
    expect(snaps.some((s) => s.shortId === full.snapshotId)).toBe(true);
  }, 120_000);

  it('leftovers are removed only once their owner process is gone (another worker, the CLI), a staging dir and a temp file too', async () => {
    const other = spawn('sleep', ['300'], { stdio: 'ignore' });
    const [, pid, ticks] = processIdentity(other.pid!)!.split(':');
    const scratch = join(scratchRoot(t.dataDir), `scratch-${pid}.${ticks}-otherworker1`);
    await mkdir(scratch, { recursive: true });
    await t.runtime.database.sql('CREATE DATABASE bbws_scratch_otherworker1;');
    await mkdir(join(workRoot(t.dataDir), 't-otherscope'), { recursive: true });
    await writeFile(join(workRoot(t.dataDir), 't-otherscope.owner'), `${processIdentity(other.pid!)}\n`);
    const staging = join(t.runtime.tenantPaths(TENANT).dir, `staging-${pid}.${ticks}-abcdef012345`);
    await mkdir(staging);
    const temp = join(catalogDir(t.dataDir), `${full.backupId}.json.${other.pid}-0a1b2c3d.tmp`);
    await writeFile(temp, '{');
    const owned = [scratch, join(workRoot(t.dataDir), 't-otherscope'), staging, temp];
    // While it lives, nothing of it goes.
    expect(await engine.cleanupLeftovers()).toEqual([]);
    expect(await t.runtime.database.sql("SHOW DATABASES LIKE 'bbws\\_%';")).toBe('bbws_scratch_otherworker1\n');
    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
    const removed = await engine.cleanupLeftovers();
    expect(removed).toEqual(expect.arrayContaining([...owned, 'database bbws_scratch_otherworker1']));
    for (const p of owned) expect(await stat(p).then(() => true, () => false)).toBe(false);
    expect(await readdir(workRoot(t.dataDir))).toEqual([]);
    expect(await t.runtime.database.sql("SHOW DATABASES LIKE 'bbws\\_%';")).toBe('');
  }, 120_000);
});

function silent() {
  const l = { debug: () => undefined, info: () => undefined, infoFlat: () => undefined, warn: () => undefined, error: () => undefined, child: () => l };
  return l;
}
