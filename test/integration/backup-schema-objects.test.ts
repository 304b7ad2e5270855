/**
 * A tenant database that holds more than tables — views (one on another), a trigger and a stored
 * function, as a WordPress plugin may create them — backed up, verified and restored in place and
 * to a new tenant (real MariaDB, restic, WordPress). Tables move by one RENAME TABLE, which MariaDB
 * refuses for views ("Changing schema … is not allowed") and for tables with triggers ("Trigger in
 * wrong schema"); the objects come back created by the target tenant's own database user.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlQuotedIdentifier } from '../../src/adapters/runtime/local/escape.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { createTenantAccess } from '../../src/adapters/wordpress/local/create-tenant-access.js';
import { startBackupFixture, type BackupFixture } from '../support/backup-fixture.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime-harness.js';

const TENANT = 'acmeobjects';
const COPY = 'acmeobjcopy';
let t: TestRuntime;
let f: BackupFixture;
const p = 'sobjsite001_';
/** A plugin may name its table anything MariaDB accepts. */
const odd = sqlQuotedIdentifier(`${p}Odd\`; DROP DATABASE mysql; --'`);

async function createObjects(): Promise<void> {
  const q = (sql: string) => f.access.query(sql);
  await q(`CREATE TABLE ${p}bbws_log (id INT AUTO_INCREMENT PRIMARY KEY, msg TEXT)`);
  await q(`CREATE VIEW ${p}published AS SELECT ID, post_title FROM ${p}posts WHERE post_status = 'publish'`);
  await q(`CREATE VIEW ${p}published_titles AS SELECT post_title FROM ${p}published`);
  await q(`CREATE TRIGGER ${p}log_insert AFTER INSERT ON ${p}posts FOR EACH ROW BEGIN INSERT INTO ${p}bbws_log (msg) VALUES (CONCAT('new;; ', NEW.post_title)); END`);
  await q(`CREATE FUNCTION ${p}double_it(x INT) RETURNS INT DETERMINISTIC RETURN x * 2`);
}

/** What the objects do, seen through the tenant's own connection. */
async function objectsWork(access: BackupFixture['access']) {
  const titles = (await access.query<{ post_title: string }>(`SELECT post_title FROM ${p}published_titles ORDER BY post_title`)).map((r) => r.post_title);
  await access.query(`INSERT INTO ${p}posts (post_title, post_content, post_excerpt, to_ping, pinged, post_content_filtered, post_status) VALUES ('via trigger', '', '', '', '', '', 'draft')`);
  const logged = (await access.query<{ msg: string }>(`SELECT msg FROM ${p}bbws_log ORDER BY id`)).map((r) => r.msg);
  const [{ d }] = await access.query<{ d: number }>(`SELECT ${p}double_it(21) AS d`);
  const definers = await access.query<{ DEFINER: string }>(`SELECT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() UNION ALL SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() UNION ALL SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()`);
  await access.query(`DELETE FROM ${p}posts WHERE post_title = 'via trigger'`);
  const oddRows = await access.query(`SELECT * FROM ${odd}`).catch(() => null);
  return { titles, logged, d, oddRows, definers: [...new Set(definers.map((r) => r.DEFINER))] };
}

describe('backup and restore of a database with views, a trigger and a function', () => {
  beforeAll(async () => {
    t = await startTestRuntime('dev');
    f = await startBackupFixture(t, TENANT);
    await createObjects();
  }, 180_000);

  afterAll(async () => {
    await f?.close();
    await t?.cleanup();
  });

  it('verifies, restores in place and restores to a new tenant, the objects working and owned by the target', async () => {
    const plain = await f.engine.createBackup(f.input());
    // Two views, the trigger and the function: verify compares their definitions too, and a
    // record that says otherwise fails it.
    expect(plain.objects?.count).toBe(4);
    await f.catalog.put({ ...plain, objects: { ...plain.objects!, sha256: '0'.repeat(64) } });
    expect((await f.engine.verifyBackup(plain.backupId)).verification.error).toContain('triggers, views and routines: definitions differ');
    await f.catalog.put(plain);
    // clone.ts's URL rewrite (restore to a new tenant) takes only [A-Za-z0-9_] table names: the odd one is in a second backup.
    await f.access.query(`CREATE TABLE ${odd} (id INT PRIMARY KEY, v TEXT)`);
    await f.access.query(`INSERT INTO ${odd} VALUES (1, 'odd')`);
    const before = await objectsWork(f.access);
    expect(before).toMatchObject({ titles: ['Hello world!', 'Sample Page'], logged: ['new;; via trigger'], d: 42, oddRows: [{ id: 1, v: 'odd' }], definers: [`${TENANT}_user@%`] });
    const backup = await f.engine.createBackup(f.input());
    expect((await f.engine.verifyBackup(backup.backupId)).verification).toMatchObject({ status: 'VERIFIED', error: null });

    // In place, after the content and an object changed.
    await f.access.query(`DELETE FROM ${p}posts`);
    await f.access.query(`DROP VIEW ${p}published_titles`);
    await f.engine.restoreInPlace(backup.backupId);
    // The backup's log row, and the one the restored trigger wrote just now.
    const logged = ['new;; via trigger', 'new;; via trigger'];
    expect(await objectsWork(f.access)).toEqual({ ...before, logged });

    // To a new tenant: the objects are the copy's, defined by its own database user.
    await f.provision(COPY);
    expect((await f.engine.verifyBackup(plain.backupId)).verification.status).toBe('VERIFIED');
    await f.engine.restoreToNewTenant(plain.backupId, COPY, [{ siteId: f.site.siteId, fromHost: f.site.hostnames[0]!, toHost: `www.${COPY}.wpdev.localhost`, adminPassword: 'new-admin-password-1' }]);
    const copy = await createTenantAccess(t.runtime, createLocalSecrets({ dir: join(t.dataDir, 'secrets') }), COPY);
    try {
      expect(await objectsWork(copy)).toEqual({ ...before, oddRows: null, logged: ['new;; via trigger'], definers: [`${COPY}_user@%`] });
    } finally {
      await copy.close();
    }

    // A site's backup holds its views and triggers too (its tables by name; routines are the tenant's).
    const siteBackup = await f.engine.createBackup(f.input({ siteId: f.site.siteId }));
    expect(siteBackup.objects?.count).toBe(3); // its views and trigger; routines are the tenant's
    expect((await f.engine.verifyBackup(siteBackup.backupId)).verification.status).toBe('VERIFIED');
    await f.access.query(`DROP TRIGGER ${p}log_insert`);
    await f.engine.restoreInPlace(siteBackup.backupId);
    expect(await objectsWork(f.access)).toEqual({ ...before, logged: [...logged, 'new;; via trigger'] });
    expect(await t.runtime.database.sql("SHOW DATABASES LIKE 'bbws\\_%';")).toBe('');
  }, 240_000);
});
