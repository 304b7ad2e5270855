/**
 * `bbws cleanup` on the whole platform (real MariaDB, php-fpm, nginx, Unix users): orphans are
 * planted for a tenant with no record — a database, a DB user, a php-fpm pool, a content directory,
 * a Unix user, an edge route and a secret — beside a live tenant. The dry run lists exactly those and changes
 * nothing; the real run removes exactly those; the live tenant keeps everything and still answers.
 * Aggressive also removes backups older than a day but the latest verified one.
 */
import { chown, lchown, lutimes, symlink, mkdir, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantUnixUser } from '../../src/adapters/runtime/local/layout.js';
import type { LocalRuntime } from '../../src/adapters/runtime/local/local-runtime.js';
import { ensureSystemUser, lookupUser, removeSystemUser } from '../../src/adapters/runtime/local/unix-users.js';
import { bbws, STACK_TRACE } from '../support/cli-process.js';
import { type LocalPlatform, startLocalPlatformWithTenant } from '../support/platform-local-harness.js';

const LIVE = 'cleanlive';
const GHOST = 'cleanghost';
const HOST = `${LIVE}.wpdev.localhost`;
const GHOST_HOST = `${GHOST}.wpdev.localhost`;

describe('bbws cleanup (real MariaDB, php-fpm, nginx, Unix users)', () => {
  let p: LocalPlatform;
  let runtime: LocalRuntime;
  let ghostUser: string;
  const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
  const databases = async () => (await runtime.database.sql('SHOW DATABASES;')).split('\n').filter(Boolean);
  const dbUsers = async () => (await runtime.database.sql("SELECT User FROM mysql.user WHERE Host = '%';")).split('\n').filter(Boolean);
  const pools = async () => (await runtime.phpFpm.listPools()).map((x) => x.name);
  const exists = (path: string) => stat(path).then(() => true, () => false);
  const ghostDir = () => join(runtime.layout.tenantsDir, GHOST);

  beforeAll(async () => {
    p = await startLocalPlatformWithTenant(LIVE);
    runtime = p.platform.runtime as LocalRuntime;
    // The orphans of a tenant that has no record (a crash, a failed undo, a hand-made experiment).
    await runtime.database.sql(`CREATE DATABASE ${GHOST}_db; CREATE TABLE ${GHOST}_db.t (id INT); INSERT INTO ${GHOST}_db.t VALUES (1); CREATE USER '${GHOST}_user'@'%' IDENTIFIED BY 'x-orphan-pw';`);
    ghostUser = tenantUnixUser((await readFile(runtime.layout.instanceIdFile, 'utf8')).trim(), GHOST);
    await ensureSystemUser(ghostUser);
    const live = (await runtime.phpFpm.listPools()).find((x) => x.tenantId === LIVE)!;
    await mkdir(join(ghostDir(), 'content', 'uploads'), { recursive: true });
    await writeFile(join(ghostDir(), 'content', 'uploads', 'left.txt'), 'left behind');
    await runtime.phpFpm.applyPool({ ...live, name: `dev-${GHOST}-service`, tenantId: GHOST, socket: join(runtime.layout.phpFpmRun, `dev-${GHOST}-service.sock`), errorLog: join(ghostDir(), 'php-error.log') });
    await utimes(ghostDir(), eightDaysAgo, eightDaysAgo);
    await runtime.edge.addRoute(GHOST_HOST, join(ghostDir(), 'www'), join(runtime.layout.phpFpmRun, `dev-${GHOST}-service.sock`));
    await lutimes(join(runtime.layout.edgeRoutes, GHOST_HOST), eightDaysAgo, eightDaysAgo);
    await p.platform.deps.secrets.put(`dev-${GHOST}-db-credentials`, '{"password":"x-orphan-pw"}');
    await utimes(join(p.dataDir, 'secrets', `dev-${GHOST}-db-credentials.secret`), eightDaysAgo, eightDaysAgo);
  }, 240_000);
  afterAll(async () => {
    if (ghostUser && (await lookupUser(ghostUser))) await removeSystemUser(ghostUser);
    await p?.stop();
  }, 60_000);

  const expected = () => [
    ['database', `${GHOST}_db`],
    ['db-user', `${GHOST}_user`],
    ['directory', ghostDir()],
    ['php-fpm-pool', `dev-${GHOST}-service`],
    ['route', GHOST_HOST],
    ['secret', `dev-${GHOST}-db-credentials`],
    ['unix-user', ghostUser],
  ];
  const listed = (items: Array<{ kind: string; name: string }>) => items.map((i) => [i.kind, i.name]).sort((a, b) => (a.join() < b.join() ? -1 : 1));

  it('the dry run lists exactly the planted orphans, with sizes, and changes nothing', async () => {
    const r = await bbws('cleanup', '--type', 'moderate', '--dry-run', '--json', '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(listed(report.items)).toEqual(expected());
    expect(report.items.find((i: { kind: string }) => i.kind === 'directory').bytes).toBeGreaterThan(10);
    expect(report.items.find((i: { kind: string }) => i.kind === 'database').bytes).toBeGreaterThan(0);
    expect(JSON.stringify(report)).not.toContain(LIVE);
    const human = await bbws('cleanup', '--type', 'moderate', '--dry-run', '--data-dir', p.dataDir);
    expect(human.stdout).toMatch(/Would remove 7 item\(s\)/);
    // Nothing changed.
    expect(await databases()).toContain(`${GHOST}_db`);
    expect(await exists(ghostDir())).toBe(true);
    expect(await pools()).toContain(`dev-${GHOST}-service`);
    // safe lists no orphan (nothing beyond retention either: no backup was made).
    expect(JSON.parse((await bbws('cleanup', '--type', 'safe', '--dry-run', '--json', '--data-dir', p.dataDir)).stdout).items).toEqual([]);
  }, 60_000);

  it('refuses without --yes, and bad input with a stable code', async () => {
    const r = await bbws('cleanup', '--type', 'moderate', '--data-dir', p.dataDir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--yes to confirm/);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    const bad = await p.api('POST', '/v1.0/cleanup', { type: 'everything', dryRun: false });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const tenantToken = await p.token('tenant-admin', LIVE);
    expect((await p.api('POST', '/v1.0/cleanup', { type: 'moderate', dryRun: false }, tenantToken)).status).toBe(403);
    expect(await databases()).toContain(`${GHOST}_db`);
  }, 60_000);

  it('the real run removes exactly the orphans; the live tenant keeps everything and answers', async () => {
    const before = { dbs: await databases(), users: await dbUsers(), pools: await pools(), secrets: await p.platform.deps.secrets.list() };
    const r = await bbws('cleanup', '--type', 'moderate', '--yes', '--json', '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect([report.removed, report.failed]).toEqual([7, []]);
    expect(await readdir(runtime.layout.edgeRoutes)).not.toContain(GHOST_HOST);
    expect(await readdir(runtime.layout.edgeRoutes)).toContain(HOST);
    expect(await databases()).toEqual(before.dbs.filter((d) => d !== `${GHOST}_db`));
    expect(await dbUsers()).toEqual(before.users.filter((u) => u !== `${GHOST}_user`));
    expect(await pools()).toEqual(before.pools.filter((x) => x !== `dev-${GHOST}-service`));
    expect(await p.platform.deps.secrets.list()).toEqual(before.secrets.filter((s) => s !== `dev-${GHOST}-db-credentials`));
    expect(await exists(ghostDir())).toBe(false);
    expect(await lookupUser(ghostUser)).toBeUndefined();
    // The live tenant: database, user, pool, directory, Unix user, secrets, and its route.
    expect(await databases()).toContain(`${LIVE}_db`);
    expect(await dbUsers()).toContain(`${LIVE}_user`);
    expect(await exists(join(runtime.layout.tenantsDir, LIVE))).toBe(true);
    expect(await lookupUser(runtime.tenantUser(LIVE)!)).toBeDefined();
    expect(await p.platform.deps.secrets.get(`dev-${LIVE}-db-credentials`)).toBeDefined();
    expect((await p.edge(HOST)).status).toBe(302);
    // Nothing left to clean.
    expect(JSON.parse((await bbws('cleanup', '--type', 'moderate', '--dry-run', '--json', '--data-dir', p.dataDir)).stdout).items).toEqual([]);
  }, 90_000);

  it('safe removes temp files of killed writers and rotated logs older than 30 days, and nothing else', async () => {
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    const plant = async (path: string, age: Date) => {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, 'x'.repeat(100));
      await utimes(path, age, age);
      return path;
    };
    const oldTemp = await plant(join(p.dataDir, 'secrets', 'dev-cleanlive-db-credentials.secret.4242-deadbeef.tmp'), hoursAgo(2));
    const oldRouteTemp = await plant(join(runtime.layout.edgeRoutes, `${HOST}.tmp-4242`), hoursAgo(3));
    const oldLog = await plant(join(p.dataDir, 'logs', 'bbws.20261001T000000000Z.20261002T000000000Z.jsonl.gz'), hoursAgo(31 * 24));
    // Kept: a temp file a writer may still finish, a log younger than 30 days, the current log,
    // a tenant's own file, and restic's repository.
    const kept = [
      await plant(join(p.dataDir, 'backup-catalog', 'bk-x.json.4242-cafe.tmp'), new Date(Date.now() - 10 * 60_000)),
      await plant(join(p.dataDir, 'logs', 'bbws.20261120T000000000Z.20261121T000000000Z.jsonl.gz'), hoursAgo(10 * 24)),
      await plant(join(runtime.layout.tenantsDir, LIVE, 'content', 'uploads', 'upload.tmp'), hoursAgo(48)),
      await plant(join(p.dataDir, 'backups', 'tmp', 'restic.tmp'), hoursAgo(48)),
    ];
    const listedNow = async () => JSON.parse((await bbws('cleanup', '--type', 'safe', '--dry-run', '--json', '--data-dir', p.dataDir)).stdout).items;
    const items = await listedNow();
    expect(listed(items)).toEqual([['log', oldLog], ['temp-file', oldTemp], ['temp-file', oldRouteTemp]].sort((a, b) => (a.join() < b.join() ? -1 : 1)));
    expect(items.every((i: { bytes: number }) => i.bytes === 100)).toBe(true);
    expect(await exists(oldTemp)).toBe(true); // a dry run changes nothing
    const r = await bbws('cleanup', '--type', 'safe', '--yes', '--json', '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect([JSON.parse(r.stdout).removed, JSON.parse(r.stdout).failed]).toEqual([3, []]);
    for (const f of [oldTemp, oldRouteTemp, oldLog]) expect(await exists(f), f).toBe(false);
    for (const f of kept) expect(await exists(f), f).toBe(true);
    expect(await exists(join(p.dataDir, 'logs', 'bbws.jsonl'))).toBe(true);
    expect(await listedNow()).toEqual([]);
    expect((await p.edge(HOST)).status).toBe(302);
  }, 90_000);

  it("safe removes the tables and uploads of a site with no live record, never a live site's", async () => {
    const made = await p.api('POST', `/v1.0/tenants/${LIVE}/sites`, { siteName: 'keep', title: 'Kept Site', adminEmail: 'owner@example.com' });
    expect((await p.waitForOperation(made.body.operationId)).status).toBe('SUCCEEDED');
    const keptId = made.body.siteId as string;
    const GONE = 'lftvr00001'; // a site whose deletion did not finish: no record, its parts left
    await runtime.database.sql(`CREATE TABLE ${LIVE}_db.s${GONE}_posts (id INT); INSERT INTO ${LIVE}_db.s${GONE}_posts VALUES (1); CREATE TABLE ${LIVE}_db.s${GONE}_options (id INT);`);
    const uploads = join(runtime.layout.tenantsDir, LIVE, 'content', 'uploads', 'sites');
    const owner = (await lookupUser(runtime.tenantUser(LIVE)!))!;
    await mkdir(join(uploads, GONE, '2026'), { recursive: true });
    await writeFile(join(uploads, GONE, '2026', 'photo.jpg'), 'jpeg bytes');
    // As WordPress makes them: the tenant's own.
    for (const d of [uploads, join(uploads, GONE), join(uploads, GONE, '2026'), join(uploads, GONE, '2026', 'photo.jpg')]) await chown(d, owner.uid, owner.gid);
    // The tenant's PHP planted a link as a "site" of its own, into the platform's data: removing
    // the leftover removes the link, as the tenant could, and nothing behind it.
    const LINK = 'lftvr00002';
    const target = join(p.dataDir, 'platform-probe');
    await mkdir(target, { mode: 0o700 });
    await writeFile(join(target, 'keep.txt'), 'the platform\'s own');
    await symlink(target, join(uploads, LINK));
    await lchown(join(uploads, LINK), owner.uid, owner.gid);
    const tables = async () => (await runtime.database.sql(`SHOW TABLES FROM ${LIVE}_db;`)).split('\n').filter(Boolean);
    const keptTables = (await tables()).filter((t) => t.startsWith(`s${keptId}_`));
    expect(keptTables.length).toBeGreaterThan(5);

    const dry = JSON.parse((await bbws('cleanup', '--type', 'safe', '--dry-run', '--json', '--data-dir', p.dataDir)).stdout);
    expect(listed(dry.items)).toEqual([['site-tables', `${LIVE}_db.s${GONE}_*`], ['site-uploads', join(uploads, GONE)], ['site-uploads', join(uploads, LINK)]]);
    expect(dry.items.every((i: { tenantId: string }) => i.tenantId === LIVE)).toBe(true);
    const r = await bbws('cleanup', '--type', 'safe', '--yes', '--json', '--data-dir', p.dataDir);
    expect([JSON.parse(r.stdout).removed, JSON.parse(r.stdout).failed], r.stderr).toEqual([3, []]);
    expect(await exists(join(uploads, LINK))).toBe(false);
    expect(await readFile(join(target, 'keep.txt'), 'utf8')).toBe("the platform's own");
    expect((await tables()).filter((t) => t.startsWith(`s${GONE}_`))).toEqual([]);
    expect(await exists(join(uploads, GONE))).toBe(false);
    // The live site keeps every table and serves.
    expect((await tables()).filter((t) => t.startsWith(`s${keptId}_`))).toEqual(keptTables);
    expect((await p.edge(`keep.${LIVE}.wpdev.localhost`)).body).toContain('Kept Site');
  }, 120_000);

  it('aggressive also removes backups older than a day, except the latest verified one of the tenant', async () => {
    const backupOf = async () => {
      const accepted = (await p.api('POST', '/v1.0/backups', { tenantId: LIVE })).body;
      expect((await p.waitForOperation(accepted.operationId, 120_000)).status).toBe('SUCCEEDED');
      return accepted.backupId as string;
    };
    const older = await backupOf();
    const verified = await backupOf();
    const v = (await p.api('POST', `/v1.0/backups/${verified}/verify`)).body;
    expect((await p.waitForOperation(v.operationId, 120_000)).status).toBe('SUCCEEDED');
    const young = await backupOf();
    // Back-date the first two records (their snapshots are real): 3 days and 30 hours old.
    const backdate = async (id: string, hours: number) => {
      const file = join(p.dataDir, 'backup-catalog', `${id}.json`);
      const record = JSON.parse(await readFile(file, 'utf8'));
      await writeFile(file, JSON.stringify({ ...record, createdAt: new Date(Date.now() - hours * 3_600_000).toISOString() }));
    };
    await backdate(older, 72);
    await backdate(verified, 30);
    const dry = JSON.parse((await bbws('cleanup', '--type', 'aggressive', '--dry-run', '--json', '--data-dir', p.dataDir)).stdout);
    expect(dry.items.map((i: { kind: string; name: string }) => [i.kind, i.name])).toEqual([['backup', older]]);
    const r = await bbws('cleanup', '--type', 'aggressive', '--yes', '--json', '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).removed).toBe(1);
    const left = ((await p.api('GET', `/v1.0/backups?tenantId=${LIVE}`)).body.backups as Array<{ backupId: string }>).map((b) => b.backupId).sort();
    expect(left).toEqual([verified, young].sort());
  }, 240_000);
});
