/**
 * The platform's own backups, made and restored on the host by the CLI itself (not through the
 * API: the operator's passphrase never travels through a request, a queue message or state.db):
 *
 * - `bbws backup create --platform` (and the platform part of `--all`);
 * - `bbws backup verify ID` of a platform backup;
 * - `bbws restore --platform ID|latest --data-dir DIR [--repository R]` (disaster recovery).
 *
 * The passphrase comes from `--passphrase-file FILE` (its first line) or `BBWS_BACKUP_PASSPHRASE`,
 * never from the command line. docs/backups.md "Platform backups", docs/operations.md "Disaster recovery".
 */
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogDir, repositoryDir } from '../../adapters/backup/backup-paths.js';
import { createFileBackupCatalog } from '../../adapters/backup/file-catalog.js';
import { createPlatformBackup, verifyPlatformBackup } from '../../adapters/backup/platform-backup.js';
import { createLocalSecrets } from '../../adapters/secrets/local.js';
import type { BackupRecord } from '../../domain/backup.js';
import { BbwsError } from '../../domain/errors.js';
import { isEnvironment, type Environment } from '../../domain/naming.js';
import { parseConfig } from '../../main/config.js';
import { DataDirInUseError } from '../../main/data-dir-lock.js';
import { createLogger } from '../../main/logger.js';
import { platformFile } from '../../main/platform-file.js';
import { restorePlatform, type PlatformRestoreProgress, type PlatformRestoreReport } from '../../main/restore-platform.js';
import { CliError } from '../api-client.js';
import { printJson, printRecord, printTable } from '../output.js';
import { dataDirOf, type CommonOptions } from './common.js';

export interface PassphraseOptions {
  passphraseFile?: string;
}

/** The operator's passphrase: `--passphrase-file` (first line) or BBWS_BACKUP_PASSPHRASE. */
export async function readPassphrase(opts: PassphraseOptions): Promise<string> {
  if (opts.passphraseFile) {
    const text = await readFile(opts.passphraseFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new CliError(`Cannot read the passphrase file ${opts.passphraseFile} (${e.code ?? e.message}).`);
    });
    return text.split(/\r?\n/)[0] ?? '';
  }
  const fromEnv = process.env.BBWS_BACKUP_PASSPHRASE;
  if (fromEnv) return fromEnv;
  throw new CliError('A platform backup is wrapped under an operator passphrase: give --passphrase-file FILE or set BBWS_BACKUP_PASSPHRASE (never on the command line).');
}

/** What the running platform of the data dir says about itself (platform.json), else the settings. */
function platformSettings(dataDir: string, repository?: string): { env: Environment; baseDomain: string; edgePort: number; repository: string } {
  const config = parseConfig({ dataDir, backupRepository: repository });
  let running: { env?: string; baseDomain?: string; edgePort?: number; backupRepository?: string | null } = {};
  if (existsSync(platformFile(dataDir))) running = JSON.parse(readFileSync(platformFile(dataDir), 'utf8')) as typeof running;
  return {
    env: running.env && isEnvironment(running.env) ? running.env : config.env,
    baseDomain: running.baseDomain ?? config.baseDomain,
    edgePort: running.edgePort ?? config.edgePort,
    repository: repository ?? running.backupRepository ?? config.backup?.repository ?? repositoryDir(dataDir),
  };
}

const stepPrinter = (json: boolean | undefined) => (step: string, fraction?: number) => {
  if (fraction === undefined) process.stderr.write(`  ${step}\n`);
  else if (!json) process.stderr.write(`  ${step} ${Math.round(fraction * 100)} %\n`);
};

function hostContext(opts: CommonOptions & { repository?: string }) {
  const dataDir = dataDirOf(opts);
  if (!existsSync(join(dataDir, 'state.db'))) throw new CliError(`${dataDir} holds no platform (no state.db); give --data-dir of the platform to back up.`);
  const settings = platformSettings(dataDir, opts.repository);
  return {
    dataDir,
    ...settings,
    secrets: createLocalSecrets({ dir: join(dataDir, 'secrets') }),
    catalog: createFileBackupCatalog({ dir: catalogDir(dataDir) }),
    logger: createLogger({ level: 'info', dataDir, role: 'backup', stdout: false }),
  };
}

/** A BbwsError as the CLI shows it: status and stable code first; exit 2 for a user error. */
function withCode(e: unknown): never {
  if (e instanceof BbwsError) throw new CliError(`${e.status} ${e.code}: ${e.message}`, e.status >= 500 ? 1 : 2);
  if (e instanceof DataDirInUseError) throw new CliError(e.message, 2);
  throw e;
}

export async function createPlatformBackupFromCli(opts: CommonOptions & PassphraseOptions & { repository?: string }): Promise<BackupRecord> {
  const passphrase = await readPassphrase(opts);
  const ctx = hostContext(opts);
  process.stderr.write(`platform backup of ${ctx.dataDir} into ${ctx.repository}:\n`);
  const record = await createPlatformBackup({ ...ctx, passphrase, progress: stepPrinter(opts.json) }).catch(withCode);
  ctx.logger.flush();
  if (opts.json) printJson({ backupId: record.backupId, backup: record });
  else printRecord({ id: record.backupId, scope: 'platform', created: record.createdAt, tables: record.tables.length, secrets: record.files?.files ?? 0, added: `${(record.sizes.repositoryAdded / 1024 / 1024).toFixed(1)} MB`, verified: record.verification.status });
  return record;
}

export async function verifyPlatformBackupFromCli(opts: CommonOptions & PassphraseOptions, record: BackupRecord): Promise<BackupRecord> {
  const passphrase = opts.passphraseFile || process.env.BBWS_BACKUP_PASSPHRASE ? await readPassphrase(opts) : null;
  const ctx = hostContext(opts);
  process.stderr.write(`verify platform backup ${record.backupId}${passphrase ? '' : ' (without a passphrase: the wrapped keys are not opened)'}:\n`);
  const updated = await verifyPlatformBackup({ ...ctx, passphrase, record, progress: stepPrinter(opts.json) }).catch(withCode);
  ctx.logger.flush();
  if (opts.json) printJson(updated);
  else printRecord({ id: updated.backupId, scope: 'platform', verified: updated.verification.status, error: updated.verification.error });
  if (updated.verification.status !== 'VERIFIED') throw new CliError(`platform backup ${record.backupId} FAILED verification: ${updated.verification.error ?? ''}`);
  return updated;
}

export interface PlatformRestoreFlags extends CommonOptions, PassphraseOptions {
  platform: string;
  repository?: string;
  parallel?: string;
  env?: string;
  baseDomain?: string;
  edgePort?: string;
}

export async function restorePlatformFromCli(opts: PlatformRestoreFlags): Promise<PlatformRestoreReport> {
  if (!opts.dataDir) throw new CliError('Give the new data dir: bbws restore --platform ID --data-dir DIR (a new or empty directory).');
  const repository = opts.repository ?? process.env.BBWS_BACKUP_REPOSITORY;
  if (!repository) throw new CliError('Give the repository the platform backup is in: --repository R (a directory, sftp:…, s3:…) or BBWS_BACKUP_REPOSITORY.');
  const parallel = opts.parallel === undefined ? 4 : Number(opts.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16) throw new CliError('--parallel takes 1 to 16.');
  const passphrase = await readPassphrase(opts);
  const config = parseConfig({ dataDir: opts.dataDir, env: opts.env, baseDomain: opts.baseDomain, edgePort: opts.edgePort, backupRepository: repository });
  const t0 = Date.now();
  const secs = () => ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
  const onProgress = (p: PlatformRestoreProgress) => {
    const where = p.tenantId ? `[${String(p.done ?? 0).padStart(String(p.total ?? 0).length)}/${p.total}] ${p.tenantId}: ` : '';
    process.stderr.write(`${secs()} s  ${where}${p.step}${p.ms !== undefined ? ` (${(p.ms / 1000).toFixed(1)} s)` : ''}\n`);
  };
  let logger: ReturnType<typeof createLogger> | null = null;
  const report = await restorePlatform({
    backupId: opts.platform,
    config,
    repository,
    passphrase,
    parallel,
    logger: (dataDir) => (logger = createLogger({ level: 'info', dataDir, role: 'restore', stdout: false })),
    progress: onProgress,
  }).catch(withCode);
  (logger as ReturnType<typeof createLogger> | null)?.flush();
  if (opts.json) printJson(report);
  else {
    printTable(report.tenants.map((t) => ({ tenant: t.tenantId, status: t.status, backup: t.backupId, sites: t.sites, seconds: (t.ms / 1000).toFixed(1), error: t.error })), ['tenant', 'status', 'backup', 'sites', 'seconds', 'error']);
    for (const s of report.skipped) process.stderr.write(`skipped ${s.tenantId}: its instance was ${s.provisioningState} (not restored)\n`);
  }
  const failed = report.tenants.filter((t) => t.status === 'FAILED');
  if (failed.length) throw new CliError(`${failed.length} of ${report.tenants.length} tenants failed (${failed.map((t) => t.tenantId).join(', ')}); ${config.dataDir} keeps platform-restore.json: fix the cause and run the same command again (it continues), or remove the directory.`);
  const envHint = repository !== repositoryDir(config.dataDir) ? `BBWS_BACKUP_REPOSITORY=${repository} ` : '';
  // WordPress's URLs carry the edge's port: the restored platform listens where the old one did.
  const flags = [config.env !== 'dev' ? ` --env ${config.env}` : '', config.baseDomain !== 'localhost' ? ` --base-domain ${config.baseDomain}` : '', report.edgePort && report.edgePort !== 8088 ? ` --edge-port ${report.edgePort}` : ''].join('');
  process.stderr.write(`Platform backup ${report.backupId} restored into ${config.dataDir} in ${(report.durationMs / 1000).toFixed(1)} s: ${report.tenants.length} tenants. Start it: ${envHint}bbws up --data-dir ${config.dataDir}${flags}\n`);
  return report;
}
