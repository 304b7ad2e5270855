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
import { scratchInUse } from '../../src/adapters/backup/scratch-restore.js';
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
    // The site's title is recorded at backup time: verify expects it on the restored homepage.
    expect(full.titles).toEqual([{ siteId: site.siteId, title: 'Acme Backup' }]);
    const routes: string[] = [];
    const verified = await engine.verifyBackup(full.backupId, (step) => {
      if (step.startsWith('serve the restored copy')) routes.push(step);
    });
    expect(verified.verification).toMatchObject({ status: 'VERIFIED', error: null });
    expect(routes).toHaveLength(1);
    // Served through the real edge and the tenant's pool: 200 with the recorded <title>.
    expect(verified.verification.homepages).toEqual([{ siteId: site.siteId, status: 200, title: expect.stringMatching(/^Acme Backup/), expectedTitle: 'Acme Backup', ms: expect.any(Number), ok: true, note: null }]);
    expect((await catalog().get(full.backupId))!.verification).toMatchObject({ status: 'VERIFIED', homepages: [expect.objectContaining({ status: 200 })] });
    await expectNoScratchLeft();
  }, 120_000);

  it('a homepage that errors fails the verify, naming the backup and the site; a wrong recorded title fails it too', async () => {
    // Break the site's database the way a bad plugin or a half-done migration would: no options table.
    const options = `s${site.siteId}_options`;
    await t.runtime.database.sql(`RENAME TABLE ${TENANT}_db.${options} TO ${TENANT}_db.hidden_options;`);
    let broken: BackupRecord;
    try {
      broken = await engine.createBackup(input({ siteId: site.siteId }));
    } finally {
      await t.runtime.database.sql(`RENAME TABLE ${TENANT}_db.hidden_options TO ${TENANT}_db.${options};`);
    }
    expect(broken.titles).toEqual([{ siteId: site.siteId, title: null }]);
    const failed = await engine.verifyBackup(broken.backupId);
    // Tables and files compared equal (the record is of what was dumped); WordPress answers 500
    // (its "database tables are unavailable" page) on the restored copy's homepage.
    expect(failed.verification.status).toBe('FAILED');
    expect(failed.verification.error).toBe(`backup ${broken.backupId} failed verification: homepage of site ${site.siteId}: answered 500, not 200`);
    expect(failed.verification.homepages![0]).toMatchObject({ siteId: site.siteId, status: 500, ok: false });
    await expectNoScratchLeft();

    // An intact backup whose recorded title is not what the restored copy serves.
    const good = await engine.createBackup(input({ siteId: site.siteId }));
    await catalog().put({ ...good, titles: [{ siteId: site.siteId, title: 'Somebody Else' }] });
    const mismatch = await engine.verifyBackup(good.backupId);
    expect(mismatch.verification.status).toBe('FAILED');
    expect(mismatch.verification.error).toContain(`backup ${good.backupId} failed verification: homepage of site ${site.siteId}: title "Acme Backup`);
    // A backup made before titles were recorded: the 200 is checked, and the record says the title was not.
    const { titles: _dropped, ...older } = good;
    await catalog().put(older);
    const old = await engine.verifyBackup(good.backupId);
    expect(old.verification.status).toBe('VERIFIED');
    expect(old.verification.homepages![0]).toMatchObject({ status: 200, expectedTitle: null, ok: true, note: expect.stringContaining('title not recorded') });
    await expectNoScratchLeft();
  }, 180_000);

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
    // A verify killed while serving its copy: the scratch route, the copy in the tenant's tree, its DB user.
    // And one in flight (this process is serving it): spared.
    const verifyDir = join(t.runtime.tenantPaths(TENANT).dir, 'verify');
    for (const id of ['abcdefghijkl', 'inflight0000']) {
      await mkdir(join(verifyDir, id, 'www'), { recursive: true });
      await t.runtime.edge.addRoute(`verify-${id}-${site.siteId}.bbws.invalid`, join(verifyDir, id, 'www'), t.runtime.tenantSocket(TENANT));
      await t.runtime.database.sql(`CREATE USER bbws_scratch_${id}@'%' IDENTIFIED BY 'x';`);
    }
    scratchInUse.add('inflight0000');
    const removed = await engine.cleanupLeftovers().finally(() => scratchInUse.delete('inflight0000'));
    expect(removed).toEqual(expect.arrayContaining([join(workRoot(t.dataDir), 't-ghost'), join(scratchRoot(t.dataDir), 'abcdefghijkl'), 'database bbws_scratch_abcdefghijkl']));
    expect(removed).toEqual(expect.arrayContaining([`route verify-abcdefghijkl-${site.siteId}.bbws.invalid`, join(verifyDir, 'abcdefghijkl'), 'database user bbws_scratch_abcdefghijkl']));
    expect(removed.filter((r) => r.includes('inflight0000'))).toEqual([]);
    expect(await readdir(verifyDir)).toEqual(['inflight0000']);
    expect((await readdir(t.runtime.layout.edgeRoutes)).filter((r) => r.includes('bbws.invalid'))).toEqual([`verify-inflight0000-${site.siteId}.bbws.invalid`]);
    expect(await t.runtime.database.sql("SELECT User FROM mysql.user WHERE User LIKE 'bbws\\_%';")).toBe('bbws_scratch_inflight0000\n');

    expect(removed.some((r) => r.startsWith(`snapshot ${orphan.snapshotId}`))).toBe(true);
    expect(await t.runtime.database.sql("SHOW DATABASES LIKE 'bbws\\_%';")).toBe('bbws_keepme_abcdefghijkl\n');
    await t.runtime.database.sql('DROP DATABASE bbws_keepme_abcdefghijkl;');
    // Once it is no longer in flight, the next sweep takes it too.
    await engine.cleanupLeftovers();
    await expectNoScratchLeft();
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

/** No scratch dir, database, DB user, route or copy in the tenant's tree is left. */
async function expectNoScratchLeft(): Promise<void> {
  expect(await readdir(scratchRoot(t.dataDir)).catch(() => [])).toEqual([]);
  expect(await t.runtime.database.sql("SHOW DATABASES LIKE 'bbws\\_%';")).toBe('');
  expect(await t.runtime.database.sql("SELECT User FROM mysql.user WHERE User LIKE 'bbws\\_%';")).toBe('');
  expect((await readdir(t.runtime.layout.edgeRoutes)).filter((r) => r.includes('bbws.invalid'))).toEqual([]);
  expect((await readdir(t.runtime.layout.edgeSockets)).filter((r) => r.includes('bbws.invalid'))).toEqual([]);
  expect(await readdir(join(t.runtime.tenantPaths(TENANT).dir, 'verify')).catch(() => [])).toEqual([]);
}

function silent() {
  const l = { debug: () => undefined, info: () => undefined, infoFlat: () => undefined, warn: () => undefined, error: () => undefined, child: () => l };
  return l;
}
