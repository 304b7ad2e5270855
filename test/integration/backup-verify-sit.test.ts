/**
 * Backup verify on an environment whose edge asks for basic auth (sit): the restored copy's
 * homepage is fetched through the edge with the environment's credentials, like the readiness
 * probe, and only the copy answers it (its marker header), never the live site. Real MariaDB,
 * php-fpm, nginx, WordPress and restic.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogDir } from '../../src/adapters/backup/backup-paths.js';
import { createFileBackupCatalog } from '../../src/adapters/backup/file-catalog.js';
import { createLocalBackupEngine } from '../../src/adapters/backup/local-backup-engine.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { createTenantAccess, type LocalTenantAccess } from '../../src/adapters/wordpress/local/create-tenant-access.js';
import { newBackupId } from '../../src/domain/backup.js';
import type { SiteRef } from '../../src/ports/wordpress.js';
import { INSTALL_WORDPRESS } from '../../bench/lib/site-fixture.js';
import { runSteps, silentLogger, spec, startTestRuntime, type TestRuntime } from '../support/local-runtime-harness.js';

const TENANT = 'sitverify';
const site: SiteRef = { tenantId: TENANT, siteId: 'sitverify1', hostnames: ['www.sitverify.wpsit.localhost'] };

let t: TestRuntime;
let access: LocalTenantAccess;

describe('backup verify behind the edge\'s basic auth (sit)', () => {
  beforeAll(async () => {
    t = await startTestRuntime('sit');
    await runSteps(t.runtime.provisionSteps(spec(TENANT, 'sit')));
    access = await createTenantAccess(t.runtime, createLocalSecrets({ dir: join(t.dataDir, 'secrets') }), TENANT);
    await access.php(site, INSTALL_WORDPRESS);
    await access.php(site, `update_option('blogname', 'Bob\\'s "Sit" & Co'); update_option('blogdescription', 'Tested'); echo 'true';`, undefined, { loadWordPress: true });
  }, 180_000);
  afterAll(async () => {
    await access?.close();
    await t?.cleanup();
  });

  it('the copy answers 200 with the recorded title (HTML entities decoded on both sides), through basic auth', async () => {
    expect(t.runtime.basicAuth).not.toBeNull();
    const secrets = createLocalSecrets({ dir: join(t.dataDir, 'secrets') });
    const engine = createLocalBackupEngine({ runtime: t.runtime, secrets, catalog: createFileBackupCatalog({ dir: catalogDir(t.dataDir) }), logger: silentLogger(), env: 'sit', dataDir: t.dataDir });
    const backup = await engine.createBackup({ backupId: newBackupId(), tenantId: TENANT, siteId: site.siteId, type: 'full', reason: 'manual', parentId: null, sites: [], spec: null });
    expect(backup.titles).toEqual([{ siteId: site.siteId, title: 'Bob\'s "Sit" & Co' }]);
    const verified = await engine.verifyBackup(backup.backupId);
    expect(verified.verification.error).toBeNull();
    // WordPress stores and serves the name HTML-escaped (Bob&#039;s &quot;Sit&quot; &amp; Co), its tagline after the separator.
    expect(verified.verification.homepages).toEqual([expect.objectContaining({ siteId: site.siteId, status: 200, title: 'Bob\'s "Sit" & Co – Tested', expectedTitle: 'Bob\'s "Sit" & Co', ok: true })]);
    expect((await readdir(t.runtime.layout.edgeRoutes)).filter((r) => r.includes('bbws.invalid'))).toEqual([]);
  }, 120_000);
});
