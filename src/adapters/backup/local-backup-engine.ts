/**
 * The {@link BackupEngine} of the local runtime: a tenant's database with mariadb-dump (one
 * consistent snapshot; sql-dump.ts), its content directory (uploads, themes, plugins) or a site's
 * tables and uploads, and the record's meta.json, snapshotted into a restic repository
 * (restic.ts). The repository password is generated once and kept in the secret store.
 *
 * All or nothing: the record is written only after the snapshot exists; a failure removes the
 * snapshot again. Verify restores into scratch, compares, then serves the copy on a scratch route
 * and checks its homepages (scratch-serve.ts). A kill -9 can leave a snapshot without a record, a
 * work or scratch dir, a scratch database, a verify's scratch route, copy and DB user, or a stale
 * repository lock: {@link BackupEngine.cleanupLeftovers} (run before every backup job) removes
 * exactly those whose owner process is gone (backup-leftovers.ts, scratch-serve.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UNVERIFIED, type BackupRecord, type HomepageCheck, type RetentionPolicy } from '../../domain/backup.js';
import { describeHomepageFailures, homepageTargets } from '../../domain/backup-homepage.js';
import { BbwsError } from '../../domain/errors.js';
import { names, type Environment } from '../../domain/naming.js';
import type { BackupCatalog, BackupEngine, BackupProgress, CreateBackupInput } from '../../ports/backups.js';
import type { Logger } from '../../ports/logger.js';
import type { Secrets } from '../../ports/secrets.js';
import { sqlIdentifier, sqlString } from '../runtime/local/escape.js';
import type { LocalRuntime } from '../runtime/local/local-runtime.js';
import { WORDPRESS_CORE } from '../runtime/local/tenant-files.js';
import { digestTree } from '../wordpress/local/backup.js';
import { digestCacheFile, repositoryDir, repositoryPasswordSecret, scopeKey, workRoot } from './backup-paths.js';
import { openFileDigestCache } from './file-digest-cache.js';
import { createTenantAccess } from '../wordpress/local/create-tenant-access.js';
import { restoreBackupInPlace } from './local-restore.js';
import { rehomeSite } from './rehome-sites.js';
import { createResticRepository, ResticError, type ResticRepository } from './restic.js';
import { restoreToScratch, scratchInUse } from './scratch-restore.js';
import { checkHomepages, readSiteTitles, removeServeLeftovers } from './scratch-serve.js';
import { removeBackupLeftovers } from './backup-leftovers.js';
import { claimEntry, releaseEntry } from '../os/owned-names.js';
import { dumpDatabase } from './sql-dump.js';
import { summarizeObjects } from './dump-objects.js';

export interface LocalBackupEngineOptions {
  runtime: LocalRuntime;
  secrets: Secrets;
  catalog: BackupCatalog;
  logger: Logger;
  env: Environment;
  dataDir: string;
  /** A restic repository string (default `<dataDir>/backups`). */
  repository?: string;
  /** The snapshot's time instead of now (benchmarks and retention tests back-date backups). */
  clock?: () => Date;
}

const noProgress: BackupProgress = () => undefined;

/** BACKUP_REPOSITORY_UNAVAILABLE for a repository restic cannot open; other errors pass. */
function repositoryError(e: unknown): never {
  if (e instanceof ResticError && /repository|connect|no such host|permission denied|wrong password|unable to open/i.test(e.stderr)) {
    throw new BbwsError('BACKUP_REPOSITORY_UNAVAILABLE', `${new BbwsError('BACKUP_REPOSITORY_UNAVAILABLE').message} restic: ${e.stderr.trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`);
  }
  throw e;
}

async function wordpressVersion(): Promise<string | null> {
  const text = await readFile(join(WORDPRESS_CORE, 'wp-includes', 'version.php'), 'utf8').catch(() => '');
  return /\$wp_version\s*=\s*'([^']+)'/.exec(text)?.[1] ?? null;
}

export function createLocalBackupEngine(options: LocalBackupEngineOptions): BackupEngine & { repository: ResticRepository } {
  const { runtime, secrets, catalog, dataDir, env } = options;
  const logger = options.logger.child({ component: 'backups' });
  const location = options.repository ?? repositoryDir(dataDir);
  const password = async () => {
    const name = repositoryPasswordSecret(env);
    const existing = await secrets.get(name);
    if (existing) return existing;
    const fresh = randomBytes(32).toString('base64url');
    await secrets.put(name, fresh);
    return fresh;
  };
  const repo = createResticRepository({ location, password });
  let opened: Promise<void> | null = null;
  const open = async () => {
    opened ??= (async () => {
      if (!/^[a-z0-9]+:/.test(location)) await mkdir(location, { recursive: true, mode: 0o700 });
      await repo.init();
    })().catch((e) => {
      opened = null;
      return repositoryError(e);
    });
    return opened;
  };
  const db = () => runtime.database;
  const inProgress = new Set<string>();

  /** The scope's tables and views (as hex: a plugin's name may hold any character). */
  const listTables = async (database: string, prefix: string | null): Promise<string[]> => {
    const where = prefix ? ` AND LEFT(TABLE_NAME, ${[...prefix].length}) = ${sqlString(prefix)}` : '';
    const out = await db().sql(`SELECT HEX(TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${sqlString(database)}${where} ORDER BY TABLE_NAME;`);
    return out.split('\n').map((l) => l.trim()).filter(Boolean).map((hex) => Buffer.from(hex, 'hex').toString('utf8'));
  };

  async function createBackup(input: CreateBackupInput, progress: BackupProgress = noProgress): Promise<BackupRecord> {
    const { tenantId, siteId } = input;
    await open();
    const key = scopeKey(tenantId, siteId);
    if (inProgress.has(key)) throw new BbwsError('OPERATION_IN_PROGRESS', `A backup of ${key} is already running.`);
    inProgress.add(key);
    const work = join(workRoot(dataDir), key);
    let snapshotId: string | null = null;
    try {
      // Ours from here (`<key>.owner`): a sweep by another process spares it while we live.
      await claimEntry(workRoot(dataDir), key);
      await rm(work, { recursive: true, force: true });
      await mkdir(work, { recursive: true, mode: 0o700 });
      const paths = runtime.tenantPaths(tenantId);
      const database = names.databaseName(tenantId);
      sqlIdentifier(database);
      const filesPath = siteId ? join(paths.content, 'uploads', 'sites', siteId) : paths.content;
      const present = await stat(filesPath).then((s) => s.isDirectory(), () => false);
      // The dump (MariaDB's work) and the file hashes (ours) at the same time: neither waits for the other.
      progress('dump database (mariadb-dump --single-transaction) and hash files');
      const tables = siteId ? await listTables(database, `s${siteId}_`) : null;
      // An incremental reads only files whose metadata changed since the last backup (as restic does); a full reads all.
      const known = await openFileDigestCache(digestCacheFile(dataDir, key), { use: input.type === 'incremental' });
      // The sites' titles too (verify expects them on the restored homepages): a failed read only costs that check.
      const targets = homepageTargets({ scope: siteId ? 'site' : 'tenant', siteId, sites: input.sites });
      const [summary, files, titles] = await Promise.all([
        tables && tables.length === 0 ? Promise.resolve([]) : dumpDatabase(db().clientArgs, database, join(work, 'db.sql'), tables ?? undefined),
        present ? digestTree(filesPath, known) : Promise.resolve(null),
        readSiteTitles(db(), database, targets).catch((e: unknown) => {
          logger.warn({ action: 'BACKUP', backupId: input.backupId, err: e instanceof Error ? e.message : String(e) }, 'site titles not read: verify will check the homepages without them');
          return undefined;
        }),
      ]);
      const databaseBytes = await stat(join(work, 'db.sql')).then((s) => s.size, () => 0);
      const objects = databaseBytes ? await summarizeObjects(join(work, 'db.sql')) : null;
      const createdAt = (options.clock?.() ?? new Date()).toISOString();
      const parent = input.parentId ? await catalog.get(input.parentId) : undefined;
      const record: BackupRecord = {
        backupId: input.backupId,
        scope: siteId ? 'site' : 'tenant',
        type: input.type,
        reason: input.reason,
        tenantId,
        siteId,
        parentId: parent?.backupId ?? null,
        snapshotId: '',
        createdAt,
        sites: input.sites,
        spec: input.spec,
        wordpressVersion: await wordpressVersion(),
        ...(titles ? { titles } : {}),
        tables: summary,
        objects,
        files,
        sizes: { databaseBytes, filesBytes: files?.bytes ?? 0, repositoryAdded: 0 },
        verification: UNVERIFIED,
        paths: { work, files: present ? filesPath : null },
      };
      await writeFile(join(work, 'meta.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
      progress('snapshot to the repository (restic)');
      const tags = ['bbws', `scope=${record.scope}`, `tenant=${tenantId}`, ...(siteId ? [`site=${siteId}`] : [])];
      let last = -1;
      const result = await repo
        .backup(present ? [work, filesPath] : [work], {
          tags,
          time: options.clock ? createdAt.replace('T', ' ').replace(/\.\d+Z$/, '') : undefined,
          parent: input.type === 'incremental' ? parent?.snapshotId : undefined,
          force: input.type === 'full',
          onProgress: (f) => {
            const pct = Math.floor(f * 10) * 10;
            if (pct > last) progress('snapshot to the repository (restic)', (last = pct) / 100);
          },
        })
        .catch(repositoryError);
      snapshotId = result.snapshotId;
      const done: BackupRecord = { ...record, snapshotId: result.snapshotId, sizes: { ...record.sizes, repositoryAdded: result.dataAdded } };
      await catalog.put(done);
      await known.save().catch((e: unknown) => logger.warn({ action: 'BACKUP', backupId: done.backupId, err: e instanceof Error ? e.message : String(e) }, 'file hash cache not saved: the next backup reads every file'));
      logger.info({ action: 'BACKUP', status: 'OK', backupId: done.backupId, tenantId, siteId, type: done.type, snapshotId: result.snapshotId, repositoryAdded: result.dataAdded }, 'backup created');
      return done;
    } catch (e) {
      if (snapshotId) await repo.forgetSnapshots([snapshotId]).catch(() => undefined);
      await catalog.delete(input.backupId).catch(() => undefined);
      logger.error({ action: 'BACKUP', status: 'FAILED', backupId: input.backupId, tenantId, siteId, err: e instanceof Error ? e.message : String(e) }, 'backup failed');
      throw e;
    } finally {
      await rm(work, { recursive: true, force: true }).catch(() => undefined);
      await releaseEntry(workRoot(dataDir), key).catch(() => undefined);
      inProgress.delete(key);
    }
  }

  async function recordOf(backupId: string): Promise<BackupRecord> {
    const record = await catalog.get(backupId);
    if (!record) throw new BbwsError('BACKUP_NOT_FOUND', undefined, { backupId });
    return record;
  }

  async function verifyBackup(backupId: string, progress: BackupProgress = noProgress): Promise<BackupRecord> {
    const record = await recordOf(backupId);
    await open();
    const started = Date.now();
    let problems: string[];
    let homepages: HomepageCheck[] | undefined;
    try {
      const restored = await restoreToScratch({ dataDir, repo, db: db() }, record, progress);
      try {
        problems = restored.problems;
        if (problems.length === 0 && record.scope !== 'platform') {
          progress('serve the restored copy on a scratch route and check its homepage');
          homepages = await checkHomepages(runtime, record, restored.copy).catch((e: unknown) => {
            problems.push(`homepage check failed: ${e instanceof Error ? e.message : String(e)}`);
            return undefined;
          });
          problems.push(...describeHomepageFailures(homepages ?? []));
        }
      } finally {
        await restored.copy.remove();
      }
    } catch (e) {
      problems = [e instanceof ResticError ? `restic: ${e.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}` : e instanceof Error ? e.message : String(e)];
    }
    const error = problems.length ? `backup ${backupId} failed verification: ${problems.join('; ')}` : null;
    const updated: BackupRecord = {
      ...((await catalog.get(backupId)) ?? record),
      verification: { status: error ? 'FAILED' : 'VERIFIED', verifiedAt: new Date().toISOString(), error, durationMs: Date.now() - started, ...(homepages ? { homepages } : {}) },
    };
    await catalog.put(updated);
    if (error) logger.error({ action: 'VERIFY_BACKUP', status: 'FAILED', backupId, tenantId: record.tenantId, error }, error);
    else logger.info({ action: 'VERIFY_BACKUP', status: 'OK', backupId, tenantId: record.tenantId, durationMs: updated.verification.durationMs }, 'backup verified');
    return updated;
  }

  async function prune(policy: RetentionPolicy, { dryRun }: { dryRun: boolean }) {
    await open();
    const ids = new Set(await repo.forget(policy, { tags: ['bbws'], dryRun }).catch(repositoryError));
    const all = await catalog.list();
    const removed = all.filter((r) => ids.has(r.snapshotId) || [...ids].some((id) => id.startsWith(r.snapshotId)));
    if (!dryRun) for (const r of removed) await catalog.delete(r.backupId);
    logger.info({ action: 'PRUNE_BACKUPS', status: 'OK', dryRun, removed: removed.map((r) => r.backupId) }, `${dryRun ? 'would remove' : 'removed'} ${removed.length} backups`);
    return { removed, kept: all.length - removed.length };
  }

  async function cleanupLeftovers(): Promise<string[]> {
    // A killed verify's scratch serving first (routes, then its copies in the tenants' trees, DB users).
    const served = await removeServeLeftovers(runtime, (id) => scratchInUse.has(id));
    await open();
    const removed = [...served, ...(await removeBackupLeftovers({ dataDir, runtime, repo, catalog }))];
    if (removed.length) logger.warn({ action: 'BACKUP_LEFTOVERS', status: 'REMOVED', removed }, `removed ${removed.length} leftovers of interrupted backup work`);
    return removed;
  }

  return {
    repository: repo,
    createBackup,
    verifyBackup,
    restoreInPlace: async (backupId, progress = noProgress) => {
      const record = await recordOf(backupId);
      await open();
      await restoreBackupInPlace({ dataDir, repo, runtime, secrets, logger }, record, progress);
    },
    restoreToNewTenant: async (backupId, targetTenantId, sites, progress = noProgress) => {
      const record = await recordOf(backupId);
      if (record.scope !== 'tenant') throw new BbwsError('VALIDATION_FAILED', 'Only a tenant backup restores to a new tenant; a site backup restores in place.', { backupId });
      await open();
      await restoreBackupInPlace({ dataDir, repo, runtime, secrets, logger }, record, progress, targetTenantId);
      progress('re-home sites and rotate their secrets');
      const access = await createTenantAccess(runtime, secrets, targetTenantId);
      try {
        const out = [];
        for (const s of sites) {
          const { adminUser } = await rehomeSite(access, { tenantId: targetTenantId, siteId: s.siteId, hostnames: [s.toHost] }, s.fromHost, runtime.config.edgePort, s.adminPassword);
          out.push({ siteId: s.siteId, adminUser });
        }
        return out;
      } finally {
        await access.close();
      }
    },
    prune,
    async deleteBackups(ids) {
      await open();
      const records = (await Promise.all(ids.map((id) => catalog.get(id)))).filter((r): r is BackupRecord => r !== undefined);
      await repo.forgetSnapshots(records.map((r) => r.snapshotId)).catch(repositoryError);
      for (const r of records) await catalog.delete(r.backupId);
    },
    cleanupLeftovers,
  };
}
