/**
 * `bbws backup create|list|show|verify|prune` and `bbws restore ID --in-place --yes` /
 * `bbws restore undo` (docs/backups.md). Long work is followed with its steps on stderr as they
 * start and end (progress); `--json` prints the result on stdout.
 */
import type { Command } from 'commander';
import { CliError, type ApiClient } from '../api-client.js';
import { printJson, printRecord, printTable } from '../output.js';
import { clientFor, type CommonOptions } from './common.js';
import { waitForOperation } from './wait-operation.js';
import { createPlatformBackupFromCli, readPassphrase, restorePlatformFromCli, verifyPlatformBackupFromCli, type PlatformRestoreFlags } from './platform-backup.command.js';

interface BackupView {
  backupId: string;
  scope: string;
  type: string;
  reason: string;
  tenantId: string | null;
  siteId: string | null;
  createdAt: string;
  sizes: { databaseBytes: number; filesBytes: number; repositoryAdded: number };
  verification: { status: string; verifiedAt: string | null; error: string | null; homepages?: Array<{ siteId: string | null; status: number; title: string | null; expectedTitle: string | null; ms: number; ok: boolean; note: string | null }> };
  tables: Array<{ name: string; rows: number }>;
  [k: string]: unknown;
}
interface Accepted {
  operationId: string;
  backupId: string;
  status: string;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const row = (b: BackupView) => ({
  id: b.backupId,
  scope: b.scope,
  tenant: b.tenantId,
  site: b.siteId,
  type: b.type,
  reason: b.reason,
  created: b.createdAt.replace(/\.\d+Z$/, 'Z'),
  size: mb(b.sizes.databaseBytes + b.sizes.filesBytes),
  added: mb(b.sizes.repositoryAdded),
  verified: b.verification.status,
});
const COLUMNS = ['id', 'scope', 'tenant', 'site', 'type', 'reason', 'created', 'size', 'added', 'verified'];

/** Follows an operation, printing each step when it starts and when it ends (stderr). */
const follow = (client: ApiClient, operationId: string) => waitForOperation(client, operationId, { timeoutMs: 60 * 60_000, showStarts: true, returnFailed: true });

async function runAndReport(client: ApiClient, opts: CommonOptions & { wait?: boolean }, accepted: Accepted, what: string): Promise<BackupView | null> {
  if (opts.wait === false) {
    if (opts.json) printJson(accepted);
    else printRecord({ ...accepted, next: `bbws operations get ${accepted.operationId} --wait` });
    return null;
  }
  process.stderr.write(`${what} ${accepted.backupId} (operation ${accepted.operationId}):\n`);
  const op = await follow(client, accepted.operationId);
  const backup = await client.request<BackupView>('GET', `/v1.0/backups/${accepted.backupId}`).catch(() => null);
  if (opts.json) printJson({ ...accepted, operation: op, backup });
  else if (backup) printRecord(row(backup));
  if (op.status === 'FAILED') throw new CliError(`${what} ${accepted.backupId} FAILED: ${op.error ?? 'see its steps'}. Inspect with \`bbws operations get ${accepted.operationId}\`.`);
  return backup;
}

function parseSite(value: string): { tenantId: string; siteId: string } {
  const m = /^([^/]+)\/([^/]+)$/.exec(value);
  if (!m) throw new CliError('--site takes TENANT/SITE_ID (e.g. acme/k3j4h5g6f7).');
  return { tenantId: m[1]!, siteId: m[2]! };
}

async function activeTenants(client: ApiClient): Promise<string[]> {
  const out: string[] = [];
  let next: string | null = null;
  do {
    const page: { items: Array<{ tenantId: string; instance: { provisioningState: string } | null }>; nextToken: string | null } = await client.request('GET', `/v1.0/tenants?limit=100${next ? `&nextToken=${encodeURIComponent(next)}` : ''}`);
    out.push(...page.items.filter((t) => t.instance?.provisioningState === 'ACTIVE').map((t) => t.tenantId));
    next = page.nextToken;
  } while (next);
  return out;
}

export function registerBackupCommands(program: Command): void {
  const backup = program.command('backup').description('backups of tenants and sites, proven by restoring them (docs/backups.md)');

  backup.command('create').description('back up a tenant (database, content, spec, sites) or one site; prints the backup id')
    .option('--tenant <tenantId>', 'the whole tenant')
    .option('--site <tenant/siteId>', 'one site: its tables and uploads')
    .option('--all', 'every ACTIVE tenant, one after the other, then the platform')
    .option('--platform', 'the platform: state.db, the secret store, its keys wrapped under the passphrase')
    .option('--passphrase-file <file>', 'the operator passphrase for --platform/--all (first line; or BBWS_BACKUP_PASSPHRASE)')
    .option('--repository <repository>', 'with --platform: the restic repository (default: the running platform\'s)')
    .option('--type <type>', 'full (read every file) or incremental (only what changed since the last)', 'full')
    .option('--no-wait', 'return at once with the operation id')
    .action(async (opts: CommonOptions & { tenant?: string; site?: string; all?: boolean; platform?: boolean; passphraseFile?: string; repository?: string; type: string; wait?: boolean }) => {
      const chosen = [opts.tenant, opts.site, opts.all, opts.platform].filter(Boolean).length;
      if (chosen !== 1) throw new CliError('Say what to back up: --tenant T, --site T/S, --platform or --all.');
      if (opts.platform) return void (await createPlatformBackupFromCli(opts));
      // --all: the passphrase first, so a missing one fails before any tenant is backed up.
      if (opts.all) await readPassphrase(opts);
      const client = await clientFor(opts);
      const targets = opts.all ? (await activeTenants(client)).map((tenantId) => ({ tenantId })) : [opts.site ? parseSite(opts.site) : { tenantId: opts.tenant! }];
      for (const target of targets) {
        const accepted = await client.request<Accepted>('POST', '/v1.0/backups', { ...target, type: opts.type });
        await runAndReport(client, opts, accepted, 'backup');
      }
      if (opts.all && targets.length === 0) process.stderr.write('No ACTIVE tenant to back up.\n');
      if (opts.all) await createPlatformBackupFromCli(opts);
    });

  backup.command('list').description('backups, newest first (UNVERIFIED until a restore of it was verified)')
    .option('--tenant <tenantId>', 'only this tenant')
    .option('--site <siteId>', 'only this site')
    .action(async (opts: CommonOptions & { tenant?: string; site?: string }) => {
      const qs = new URLSearchParams({ ...(opts.tenant ? { tenantId: opts.tenant } : {}), ...(opts.site ? { siteId: opts.site } : {}) }).toString();
      const { backups } = await (await clientFor(opts)).request<{ backups: BackupView[] }>('GET', `/v1.0/backups${qs ? `?${qs}` : ''}`);
      if (opts.json) return printJson({ backups });
      printTable(backups.map(row), COLUMNS);
    });

  backup.command('show <backupId>').description('one backup: contents, sizes, tables with row counts, verification').action(async (backupId: string, opts: CommonOptions) => {
    const b = await (await clientFor(opts)).request<BackupView>('GET', `/v1.0/backups/${encodeURIComponent(backupId)}`);
    if (opts.json) return printJson(b);
    const homepages = b.verification.homepages;
    // A verification recorded before the homepage check existed says so, instead of showing nothing.
    const homepage = homepages ? `${homepages.filter((h) => h.ok).length} of ${homepages.length} served by the restored copy answered as expected` : b.verification.status === 'UNVERIFIED' ? 'not checked yet' : 'not checked (verified without serving the copy)';
    printRecord({ ...row(b), parent: b.parentId, snapshot: b.snapshotId, wordpress: b.wordpressVersion, verifiedAt: b.verification.verifiedAt, verifyError: b.verification.error, homepage });
    if (homepages?.length)
      printTable(homepages.map((h) => ({ homepage: h.siteId ?? '(default install)', status: h.status, title: h.title ?? '-', expected: h.expectedTitle ?? '(not recorded)', ms: h.ms, result: h.ok ? 'OK' : 'FAILED', note: h.note ?? '' })), ['homepage', 'status', 'title', 'expected', 'ms', 'result', 'note']);
    printTable(b.tables.map((t) => ({ table: t.name, rows: t.rows })), ['table', 'rows']);
  });

  backup.command('verify [backupId]').description('restore into a scratch database and directory, compare every table and file, serve the copy on a scratch route and check its homepages, record the result')
    .option('--latest', 'the latest backup (of --tenant, or of every tenant)')
    .option('--tenant <tenantId>', 'with --latest: of this tenant')
    .option('--all', 'every backup')
    .option('--passphrase-file <file>', 'a platform backup: also unwrap its keys and open every secret (or BBWS_BACKUP_PASSPHRASE)')
    .action(async (backupId: string | undefined, opts: CommonOptions & { latest?: boolean; tenant?: string; all?: boolean; passphraseFile?: string }) => {
      if ([backupId, opts.latest, opts.all].filter(Boolean).length !== 1) throw new CliError('Say what to verify: a backup id, --latest [--tenant T] or --all.');
      const client = await clientFor(opts);
      if (backupId) {
        const record = await client.request<BackupView>('GET', `/v1.0/backups/${encodeURIComponent(backupId)}`);
        if (record.scope === 'platform') return void (await verifyPlatformBackupFromCli(opts, record as never));
      }
      let ids: string[];
      if (backupId) ids = [backupId];
      else {
        const { backups } = await client.request<{ backups: BackupView[] }>('GET', `/v1.0/backups${opts.tenant ? `?tenantId=${encodeURIComponent(opts.tenant)}` : ''}`);
        const ofTenants = backups.filter((b) => b.tenantId !== null);
        ids = opts.all ? ofTenants.map((b) => b.backupId) : [...new Map(ofTenants.map((b) => [b.tenantId, b] as const).reverse()).values()].map((b) => b.backupId);
        if (ids.length === 0) throw new CliError('There is no backup to verify; make one with `bbws backup create --tenant T`.');
      }
      const failed: string[] = [];
      for (const id of ids) {
        const accepted = await client.request<Accepted>('POST', `/v1.0/backups/${encodeURIComponent(id)}/verify`);
        await runAndReport(client, opts, accepted, 'verify').catch((e: unknown) => {
          if (!(e instanceof CliError)) throw e;
          failed.push(id);
          process.stderr.write(`${e.message}\n`);
        });
      }
      if (failed.length) throw new CliError(`${failed.length} of ${ids.length} backups failed verification: ${failed.join(', ')}. Make a new backup of their tenants now (\`bbws backup create --tenant T\`).`);
    });

  backup.command('prune').description('apply the retention policy now (also done after every backup)')
    .option('--dry-run', 'list what would go, remove nothing')
    .option('--retention <policy>', 'e.g. 10l,24h,7d,4w,3m: last N, and the newest of N hours, days, weeks, months (default: BBWS_BACKUP_RETENTION, else 10l,24h,7d,4w,3m)')
    .action(async (opts: CommonOptions & { dryRun?: boolean; retention?: string }) => {
      const result = await (await clientFor(opts)).request<{ dryRun: boolean; retention: string; removed: BackupView[]; kept: number }>('POST', '/v1.0/backups/prune', { dryRun: Boolean(opts.dryRun), ...(opts.retention ? { retention: opts.retention } : {}) });
      if (opts.json) return printJson(result);
      process.stdout.write(`${result.dryRun ? 'Would remove' : 'Removed'} ${result.removed.length} backups (policy ${result.retention}); ${result.kept} kept.\n`);
      printTable(result.removed.map(row), COLUMNS);
    });

  const restore = program.command('restore').description('restore a backup in place (after a checkpoint), or undo the last restore')
    .argument('[backupId]', 'the backup to restore')
    .option('--to-tenant <tenantId>', 'a new tenant: created, and the tenant backup restored into it (the original is not touched)')
    .option('--in-place', 'restore over its own tenant or site (a checkpoint backup is taken first)')
    .option('--yes', 'confirm: what is there now is replaced')
    .option('--no-wait', 'return at once with the operation id')
    .option('--platform <backupId>', 'disaster recovery: a platform backup (or latest) into a new --data-dir DIR, every tenant with it')
    .option('--repository <repository>', 'with --platform: the restic repository holding the backups (or BBWS_BACKUP_REPOSITORY)')
    .option('--passphrase-file <file>', 'with --platform: the operator passphrase (first line; or BBWS_BACKUP_PASSPHRASE)')
    .option('--parallel <n>', 'with --platform: tenants restored at a time (default 4: each mostly waits on restic, MariaDB and php-fpm)')
    .option('--env <env>', 'with --platform: the environment of the platform (dev, sit, prod)')
    .option('--base-domain <domain>', 'with --platform: its base domain')
    .option('--edge-port <port>', 'with --platform: the edge port used while restoring')
    .action(async (backupId: string | undefined, opts: CommonOptions & { toTenant?: string; inPlace?: boolean; yes?: boolean; wait?: boolean; platform?: string }) => {
      if (opts.platform) {
        if (backupId || opts.toTenant || opts.inPlace) throw new CliError('--platform ID restores a whole platform into --data-dir DIR; it takes no other backup id, --to-tenant or --in-place.');
        return void (await restorePlatformFromCli(opts as PlatformRestoreFlags));
      }
      if (!backupId) throw new CliError('Name the backup to restore (`bbws backup list`), or `bbws restore undo --tenant T`.');
      if (opts.toTenant && opts.inPlace) throw new CliError('Choose one: --to-tenant NEW (a new tenant) or --in-place --yes (over the original).');
      if (opts.toTenant) {
        const client = await clientFor(opts);
        const accepted = await client.request<Accepted & { tenantId: string }>('POST', `/v1.0/backups/${encodeURIComponent(backupId)}/restore`, { toTenant: opts.toTenant });
        await runAndReport(client, opts, accepted, `restore into new tenant ${accepted.tenantId} of`);
        if (!opts.json && opts.wait !== false) process.stderr.write(`Tenant ${accepted.tenantId} serves the restored sites on its own host names; their admin passwords were rotated (\`bbws sites list ${accepted.tenantId}\`).\n`);
        return;
      }
      if (!opts.inPlace) throw new CliError('Say where to restore: --to-tenant NEW (a new tenant), or --in-place --yes over the tenant or site it came from (a checkpoint backup is taken first; `bbws restore undo` goes back to it).');
      if (!opts.yes) throw new CliError(`This replaces the current database and files with backup ${backupId}. Run again with --yes to confirm.`);
      const client = await clientFor(opts);
      const accepted = await client.request<Accepted & { checkpointId: string }>('POST', `/v1.0/backups/${encodeURIComponent(backupId)}/restore`, { inPlace: true });
      await runAndReport(client, opts, accepted, 'restore of');
      if (!opts.json && opts.wait !== false) process.stderr.write(`Checkpoint ${accepted.checkpointId} holds what was there before: \`bbws restore undo\` returns to it.\n`);
    });

  restore.command('undo').description('return to the checkpoint taken before the last in-place restore')
    .requiredOption('--tenant <tenantId>', 'the tenant restored')
    .option('--site <siteId>', 'the site restored (a site-level restore)')
    .option('--no-wait', 'return at once with the operation id')
    .action(async (opts: CommonOptions & { tenant: string; site?: string; wait?: boolean }) => {
      const client = await clientFor(opts);
      const accepted = await client.request<Accepted>('POST', '/v1.0/backups/undo-restore', { tenantId: opts.tenant, ...(opts.site ? { siteId: opts.site } : {}) });
      await runAndReport(client, opts, accepted, 'undo: restore of checkpoint');
    });
}
