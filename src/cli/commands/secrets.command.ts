/**
 * `bbws secrets list` (name and age of every secret, never a value) and
 * `bbws secrets rotate T --db | --basic-auth [--grace S] | --site-admin S` (docs/backups.md "Secrets"). The rotation's steps are shown on
 * stderr as they start and end.
 */
import type { Command } from 'commander';
import { CliError } from '../api-client.js';
import { printJson, printRecord, printTable } from '../output.js';
import { clientFor, type CommonOptions } from './common.js';
import { waitForOperation } from './wait-operation.js';

interface SecretView {
  name: string;
  updatedAt: string;
  ageDays: number;
  rotateWith: string | null;
  overdue: boolean;
}

export function registerSecretCommands(program: Command): void {
  const secrets = program.command('secrets').description('the secret store: names and ages, rotation (values are never shown)');

  secrets.command('list').description("every secret's name and age (never its value); overdue: older than BBWS_SECRET_MAX_AGE_DAYS").action(async (opts: CommonOptions) => {
    const result = await (await clientFor(opts)).request<{ maxAgeDays: number; secrets: SecretView[] }>('GET', '/v1.0/secrets');
    if (opts.json) return printJson(result);
    printTable(
      result.secrets.map((s) => ({ name: s.name, age: `${s.ageDays} d`, updated: s.updatedAt.replace(/\.\d+Z$/, 'Z'), rotate: s.overdue ? `OVERDUE: ${s.rotateWith}` : (s.rotateWith ?? '-') })),
      ['name', 'age', 'updated', 'rotate'],
    );
    const overdue = result.secrets.filter((s) => s.overdue).length;
    if (overdue) process.stderr.write(`${overdue} secret(s) older than ${result.maxAgeDays} days: rotate them with the command shown.\n`);
  });

  secrets.command('rotate <tenantId>').description("replace the tenant's database password in MariaDB and wp-config.php or the edge's basic-auth password (no failed request during the switch), or a site's admin password")
    .option('--db', 'the database password')
    .option('--basic-auth', "the edge's basic-auth password of this environment (SIT, PROD; shared by its tenants)")
    .option('--grace <seconds>', 'with --basic-auth: how long the old password is still accepted (default 300)')
    .option('--site-admin <siteId>', "the site's admin password (shown once; the admin's sessions end)")
    .option('--no-wait', 'return at once with the operation id')
    .action(async (tenantId: string, opts: CommonOptions & { db?: boolean; basicAuth?: boolean; grace?: string; siteAdmin?: string; wait?: boolean }) => {
      const kinds = [opts.db ? 'db' : null, opts.basicAuth ? 'basic-auth' : null, opts.siteAdmin ? 'site-admin' : null].filter((k): k is string => k !== null);
      if (!kinds.length) throw new CliError("Say what to rotate: --db (the tenant database password), --basic-auth (the edge's basic-auth password) and/or --site-admin SITE (a site admin password).");
      if (opts.grace !== undefined && (!opts.basicAuth || !/^\d{1,6}$/.test(opts.grace))) throw new CliError('--grace takes a whole number of seconds, with --basic-auth.');
      const client = await clientFor(opts);
      const accepted = await client.request<{ operationId: string; status: string; adminUser?: string; adminPassword?: string }>('POST', `/v1.0/tenants/${encodeURIComponent(tenantId)}/secrets/rotate`, {
        secrets: kinds,
        ...(opts.siteAdmin ? { siteId: opts.siteAdmin } : {}),
        ...(opts.grace !== undefined ? { graceSeconds: Number(opts.grace) } : {}),
      });
      if (accepted.adminPassword && !opts.json) process.stderr.write(`Site ${opts.siteAdmin}: admin user ${accepted.adminUser}, new password ${accepted.adminPassword} — shown once: store it now.\n`);
      if (opts.wait === false) return opts.json ? printJson(accepted) : printRecord({ ...accepted, next: `bbws operations get ${accepted.operationId} --wait` });
      process.stderr.write(`rotation of ${kinds.join(', ')} secrets of ${tenantId} (operation ${accepted.operationId}):\n`);
      const op = await waitForOperation(client, accepted.operationId, { timeoutMs: 10 * 60_000, showStarts: true, returnFailed: true });
      if (opts.json) printJson({ ...accepted, operation: op });
      else printRecord({ tenant: tenantId, rotated: kinds.join(', '), status: op.status, ...(opts.basicAuth && op.status === 'SUCCEEDED' ? { next: 'bbws edge basic-auth (the new password; the old one is accepted until the grace window ends)' } : {}) });
      if (op.status === 'FAILED') throw new CliError(`rotation FAILED: ${op.error ?? 'see its steps'}. The old password is still accepted where the switch was not confirmed; run the command again (it continues). Inspect with \`bbws operations get ${accepted.operationId}\`.`);
    });
}
