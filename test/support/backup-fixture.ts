/**
 * A provisioned tenant with one installed WordPress site and a backup engine on a real restic
 * repository: the setup the backup tests share (backups.test.ts has its own, older one).
 */
import { join } from 'node:path';
import { catalogDir } from '../../src/adapters/backup/backup-paths.js';
import { createFileBackupCatalog } from '../../src/adapters/backup/file-catalog.js';
import { createLocalBackupEngine, type LocalBackupEngineOptions } from '../../src/adapters/backup/local-backup-engine.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { createTenantAccess, type LocalTenantAccess } from '../../src/adapters/wordpress/local/create-tenant-access.js';
import { newBackupId } from '../../src/domain/backup.js';
import type { CreateBackupInput } from '../../src/ports/backups.js';
import type { SiteRef } from '../../src/ports/wordpress.js';
import { runSteps, silentLogger, spec, type TestRuntime } from './local-runtime-harness.js';

export interface BackupFixture {
  site: SiteRef;
  access: LocalTenantAccess;
  engine: ReturnType<typeof createLocalBackupEngine>;
  catalog: ReturnType<typeof createFileBackupCatalog>;
  input(over?: Partial<CreateBackupInput>): CreateBackupInput;
  /** Runs PHP with WordPress loaded for the site and parses its JSON output. */
  wp<T = unknown>(code: string, input?: unknown): Promise<T>;
  /** Provisions another tenant on the same runtime (a restore target). */
  provision(tenantId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startBackupFixture(t: TestRuntime, tenantId: string, engineOptions: Partial<LocalBackupEngineOptions> = {}): Promise<BackupFixture> {
  const site: SiteRef = { tenantId, siteId: 'objsite001', hostnames: [`www.${tenantId}.wpdev.localhost`] };
  const provision = async (id: string) => void (await runSteps(t.runtime.provisionSteps(spec(id))));
  await provision(tenantId);
  const secrets = createLocalSecrets({ dir: join(t.dataDir, 'secrets') });
  const access = await createTenantAccess(t.runtime, secrets, tenantId);
  await access.php(
    site,
    `define('WP_INSTALLING', true); require_once ABSPATH . 'wp-load.php'; require_once ABSPATH . 'wp-admin/includes/upgrade.php';
     wp_install('Objects', 'admin', 'admin@example.com', true, '', 'pw-123456789');`,
  );
  const catalog = createFileBackupCatalog({ dir: catalogDir(engineOptions.dataDir ?? t.dataDir) });
  const engine = createLocalBackupEngine({ runtime: t.runtime, secrets, catalog, logger: silentLogger(), env: 'dev', dataDir: t.dataDir, ...engineOptions });
  return {
    site,
    access,
    engine,
    catalog,
    input: (over = {}) => ({
      backupId: newBackupId(),
      tenantId,
      siteId: null,
      type: 'full',
      reason: 'manual',
      parentId: null,
      sites: [{ siteId: site.siteId, siteName: 'www', hostnames: site.hostnames }],
      spec: { tenantId },
      ...over,
    }),
    wp: async <T,>(code: string, input?: unknown) => JSON.parse(await access.php(site, code, input, { loadWordPress: true })) as T,
    provision,
    close: () => access.close(),
  };
}
