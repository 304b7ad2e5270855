/**
 * Disaster recovery: `bbws restore --platform ID --data-dir DIR [--repository R]` brings a whole
 * platform up on a fresh data dir (docs/operations.md "Disaster recovery"):
 *
 * 1. the platform backup is opened with the operator's passphrase (wrong: BACKUP_PASSPHRASE_INVALID,
 *    DIR not created) and its files written into DIR: state, secrets, keys, catalog (adapters/backup/platform-restore.ts);
 * 2. the local runtime is started on DIR, and every ACTIVE tenant is provisioned again with the
 *    runtime's own steps (database and user with the restored credentials, Unix user, content dir,
 *    wp-config with the restored salts, php-fpm pool, route, readiness), its latest backup in the
 *    repository is restored over it (verified first, as an in-place restore is; one that fails
 *    gives way to the one before it) and its sites are routed; `parallel` tenants at a time;
 * 3. the runtime is stopped: `bbws up --data-dir DIR` then serves every tenant.
 *
 * DIR holds `platform-restore.json` from the first write until everything is done. A failure
 * half-way leaves it there, and names the tenants that failed: run the same command again (every
 * step is idempotent, so it continues), or remove DIR (and `bbws doctor`'s Unix users) and start over.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createFileBackupCatalog } from '../adapters/backup/file-catalog.js';
import { catalogDir } from '../adapters/backup/backup-paths.js';
import { createLocalBackupEngine } from '../adapters/backup/local-backup-engine.js';
import { assertPassphrase } from '../adapters/backup/key-wrap.js';
import { openPlatformBackup, reconcileCatalog } from '../adapters/backup/platform-restore.js';
import { platformWorkRoot } from '../adapters/backup/platform-snapshot.js';
import { startLocalRuntime, type LocalRuntime } from '../adapters/runtime/local/local-runtime.js';
import { createLocalSecrets } from '../adapters/secrets/local.js';
import { openSqliteDatabase } from '../adapters/sqlite/database.js';
import { createSqliteStore } from '../adapters/store/sqlite.js';
import { createLocalWordPress } from '../adapters/wordpress/local/local-wordpress.js';
import { siteRef } from '../app/sites/site-records.js';
import type { PlatformConfig } from '../domain/config.js';
import { BbwsError, errorMessage } from '../domain/errors.js';
import { names } from '../domain/naming.js';
import { queueDefinitions } from '../domain/queues.js';
import type { Logger } from '../ports/logger.js';
import type { Secrets } from '../ports/secrets.js';
import type { Store } from '../ports/store.js';
import { securePlatformDataDir } from './data-dir.js';
import { lockDataDir } from './data-dir-lock.js';
import { platformRestoreMarker } from './platform-file.js';


export interface PlatformRestoreProgress {
  step: string;
  tenantId?: string;
  done?: number;
  total?: number;
  ms?: number;
}

export interface TenantRestoreResult {
  tenantId: string;
  backupId: string | null;
  sites: number;
  status: 'RESTORED' | 'NO_BACKUP' | 'FAILED';
  error: string | null;
  ms: number;
  /** Where the tenant's time went: provisioning steps, the backup's restore, routing its sites. */
  phases: { provisionMs: number; restoreMs: number; routeMs: number } | null;
}

export interface PlatformRestoreReport {
  backupId: string;
  dataDir: string;
  repository: string;
  createdAt: string;
  tenants: TenantRestoreResult[];
  skipped: Array<{ tenantId: string; provisioningState: string }>;
  catalog: { added: number; removed: number };
  /** The old platform's edge port (start the new one on it: WordPress's URLs carry it); null: unknown. */
  edgePort: number | null;
  durationMs: number;
  ok: boolean;
}

export interface RestorePlatformOptions {
  backupId: string | 'latest';
  /** Of the target: dataDir is DIR; env and baseDomain must be the backed-up platform's. */
  config: PlatformConfig;
  repository: string;
  passphrase: string;
  parallel?: number;
  /** Made once DIR exists (a logger writing into DIR/logs must not exist before the target is checked). */
  logger: (dataDir: string) => Logger;
  progress?: (p: PlatformRestoreProgress) => void;
}

/** DIR must be new, empty, or left by a failed platform restore (then it is continued). */
async function checkTarget(dataDir: string): Promise<'new' | 'retry'> {
  const entries = await readdir(dataDir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  if (entries.length === 0) return 'new';
  if (entries.includes(basename(platformRestoreMarker(dataDir)))) return 'retry';
  throw new BbwsError('PLATFORM_RESTORE_TARGET_NOT_EMPTY', `${dataDir} is not empty and holds no unfinished platform restore (platform-restore.json); give a new --data-dir.`, { dataDir });
}

async function pool<T>(items: T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/**
 * The credentials secret names the old host's MariaDB address (its port is chosen per data dir):
 * pointed at this data dir's server before the database user and wp-config are made from it.
 */
async function pointCredentialsAtThisServer(runtime: LocalRuntime, secrets: Secrets, tenantId: string): Promise<void> {
  const name = names.dbCredentialsSecret(runtime.config.env, tenantId);
  const raw = await secrets.get(name);
  if (!raw) return;
  const creds = JSON.parse(raw) as { host: string; port: number };
  const { host, port } = runtime.database.tenantHost;
  if (creds.host !== host || creds.port !== port) await secrets.put(name, JSON.stringify({ ...creds, host, port }));
}

async function restoreTenant(ctx: { runtime: LocalRuntime; store: Store; secrets: Secrets; engine: ReturnType<typeof createLocalBackupEngine>; wordpress: ReturnType<typeof createLocalWordPress>; catalog: ReturnType<typeof createFileBackupCatalog> }, tenantId: string, progress: (step: string) => void): Promise<Omit<TenantRestoreResult, 'ms'>> {
  const instance = await ctx.store.getInstance(tenantId);
  if (!instance) throw new Error(`tenant ${tenantId} has no instance record`);
  const t0 = Date.now();
  progress('provision runtime resources');
  await pointCredentialsAtThisServer(ctx.runtime, ctx.secrets, tenantId);
  for (const step of ctx.runtime.provisionSteps(instance.spec)) await step.run();
  const t1 = Date.now();
  // The latest backup; one that fails its check against its record (a damaged pack) gives way to
  // the one before it, up to three, each named in the progress.
  const candidates = (await ctx.catalog.list({ tenantId, scope: 'tenant' })).slice(0, 3);
  let latest: (typeof candidates)[number] | undefined;
  const failures: string[] = [];
  for (const backup of candidates) {
    progress(`restore database and content (backup ${backup.backupId}${failures.length ? `, after ${failures.length} that failed` : ''})`);
    try {
      await ctx.engine.restoreInPlace(backup.backupId);
      latest = backup;
      break;
    } catch (e) {
      failures.push(`${backup.backupId}: ${errorMessage(e).slice(0, 300)}`);
      progress(`backup ${failures[failures.length - 1]!}`);
    }
  }
  if (candidates.length && !latest) throw new Error(`no backup of ${tenantId} restored: ${failures.join('; ')}`);
  const t2 = Date.now();
  const sites = (await ctx.store.listSites(tenantId)).filter((s) => s.status === 'ACTIVE' || s.status === 'UPDATING');
  if (sites.length) progress(`route ${sites.length} site(s)`);
  for (const site of sites) await ctx.wordpress.routeSite(siteRef(site));
  const phases = { provisionMs: t1 - t0, restoreMs: t2 - t1, routeMs: Date.now() - t2 };
  return { tenantId, backupId: latest?.backupId ?? null, sites: sites.length, status: latest ? 'RESTORED' : 'NO_BACKUP', error: null, phases };
}

export async function restorePlatform(o: RestorePlatformOptions): Promise<PlatformRestoreReport> {
  const started = Date.now();
  const progress = o.progress ?? (() => undefined);
  const { dataDir, env, baseDomain } = o.config;
  assertPassphrase(o.passphrase);
  const attempt = await checkTarget(dataDir);
  progress({ step: 'open the repository with the passphrase and unwrap the keys' });
  const opened = await openPlatformBackup({ repository: o.repository, backupId: o.backupId, passphrase: o.passphrase, dataDir });
  let runtime: LocalRuntime | null = null;
  let db: ReturnType<typeof openSqliteDatabase> | null = null;
  let lock: ReturnType<typeof lockDataDir> | null = null;
  try {
    const was = opened.record.spec as { env?: string; baseDomain?: string; edgePort?: number | null } | null;
    if (was?.env && was.env !== env) throw new BbwsError('VALIDATION_FAILED', `Platform backup ${opened.record.backupId} is of environment ${was.env}: restore with --env ${was.env}.`, { field: 'env' });
    if (was?.baseDomain && was.baseDomain !== baseDomain) throw new BbwsError('VALIDATION_FAILED', `Platform backup ${opened.record.backupId} is of base domain ${was.baseDomain}: restore with --base-domain ${was.baseDomain}.`, { field: 'baseDomain' });

    securePlatformDataDir(dataDir);
    lock = lockDataDir(dataDir, ['restore']);
    const logger = o.logger(dataDir);
    const marker = platformRestoreMarker(dataDir);
    await writeFile(marker, `${JSON.stringify({ backupId: opened.record.backupId, repository: o.repository, startedAt: new Date(started).toISOString(), pid: process.pid, attempt }, null, 2)}\n`, { mode: 0o600 });
    progress({ step: `write state, secrets, keys and catalog of platform backup ${opened.record.backupId} (${opened.record.createdAt})` });
    await opened.writeTo(dataDir);
    const catalog = createFileBackupCatalog({ dir: catalogDir(dataDir) });
    progress({ step: 'complete the backup catalog from the repository' });
    const catalogChange = await reconcileCatalog(opened.repo, catalog, join(platformWorkRoot(dataDir), 'catalog'));
    await rm(platformWorkRoot(dataDir), { recursive: true, force: true });

    db = openSqliteDatabase(join(dataDir, 'state.db'));
    const store = createSqliteStore({ db, queueDefinitions: queueDefinitions(env) });
    const instances = await store.listInstancesByState(['ACTIVE', 'SCALING']);
    const all = (await store.listInstancesByState(['PROVISIONING', 'COMMITTING', 'WORKFLOW_RUNNING', 'FAILED', 'ROLLING_BACK', 'DEPROVISIONED'])).map((i) => ({ tenantId: i.tenantId, provisioningState: i.provisioningState }));

    progress({ step: 'start MariaDB, php-fpm and nginx on the new data dir' });
    const secrets = createLocalSecrets({ dir: join(dataDir, 'secrets') });
    runtime = await startLocalRuntime({ config: o.config, secrets, emit: async () => undefined, logger: logger });
    const engine = createLocalBackupEngine({ runtime, secrets, catalog, logger: logger, env, dataDir, repository: o.repository });
    const wordpress = createLocalWordPress({ runtime, secrets, config: o.config, logger: logger });
    const ctx = { runtime, store, secrets, engine, wordpress, catalog };

    const results: TenantRestoreResult[] = [];
    const total = instances.length;
    await pool(instances, Math.max(1, o.parallel ?? 4), async (instance) => {
      const t0 = Date.now();
      const tenantId = instance.tenantId;
      try {
        const r = await restoreTenant(ctx, tenantId, (step) => progress({ step, tenantId, done: results.length, total }));
        results.push({ ...r, ms: Date.now() - t0 });
      } catch (e) {
        results.push({ tenantId, backupId: null, sites: 0, status: 'FAILED', error: errorMessage(e).slice(0, 500), ms: Date.now() - t0, phases: null });
      }
      const last = results[results.length - 1]!;
      progress({ step: `${last.status.toLowerCase().replace('_', ' ')}${last.error ? `: ${last.error}` : ''}`, tenantId, done: results.length, total, ms: last.ms });
    });
    results.sort((a, b) => a.tenantId.localeCompare(b.tenantId));
    const ok = results.every((r) => r.status !== 'FAILED');
    if (ok) await rm(marker, { force: true });
    logger.info({ action: 'RESTORE_PLATFORM', status: ok ? 'OK' : 'FAILED', backupId: opened.record.backupId, tenants: results.length, failed: results.filter((r) => r.status === 'FAILED').map((r) => r.tenantId), durationMs: Date.now() - started }, 'platform restored');
    return { backupId: opened.record.backupId, dataDir, repository: o.repository, createdAt: opened.record.createdAt, tenants: results, skipped: all, catalog: catalogChange, edgePort: was?.edgePort ?? null, durationMs: Date.now() - started, ok };
  } finally {
    if (runtime) await runtime.stop().catch(() => undefined);
    db?.close();
    lock?.release();
    await opened.close();
  }
}
