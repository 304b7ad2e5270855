/**
 * `bbws cleanup --type safe|moderate [--dry-run] [--yes]` (seed 002 §Resource Cleanup;
 * docs/backups.md "Cleanup"): the dry run lists every item with its size; a real run asks for
 * `--yes`, then reports what it removed and what failed.
 */
import type { Command } from 'commander';
import { CliError } from '../api-client.js';
import { printJson, printTable } from '../output.js';
import { clientFor, type CommonOptions } from './common.js';

interface Report {
  type: string;
  dryRun: boolean;
  items: Array<{ kind: string; name: string; tenantId: string | null; bytes: number | null; reason: string }>;
  removed: number;
  failed: Array<{ name: string; error: string }>;
}

const size = (n: number | null) => (n === null ? '-' : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

export function registerCleanupCommand(program: Command): void {
  program.command('cleanup').description('remove backups beyond retention (safe) and orphans of tenants with no record (moderate)')
    .requiredOption('--type <type>', 'safe (backups beyond retention), moderate (safe, plus orphaned databases, DB users, pools, directories, Unix users, routes, secrets) or aggressive (moderate, plus backups older than 1 day but the latest verified of each tenant, site and the platform)')
    .option('--dry-run', 'list what would go, with sizes; remove nothing')
    .option('--yes', 'confirm the removal')
    .action(async (opts: CommonOptions & { type: string; dryRun?: boolean; yes?: boolean }) => {
      if (!opts.dryRun && !opts.yes) throw new CliError(`This removes what \`bbws cleanup --type ${opts.type} --dry-run\` lists. Look at that list, then run again with --yes to confirm.`);
      const report = await (await clientFor(opts)).request<Report>('POST', '/v1.0/cleanup', { type: opts.type, dryRun: Boolean(opts.dryRun) });
      if (opts.json) printJson(report);
      else {
        printTable(report.items.map((i) => ({ kind: i.kind, name: i.name, tenant: i.tenantId ?? '-', size: size(i.bytes), reason: i.reason })), ['kind', 'name', 'tenant', 'size', 'reason']);
        const total = size(report.items.reduce((n, i) => n + (i.bytes ?? 0), 0));
        process.stdout.write(report.dryRun ? `Would remove ${report.items.length} item(s), ${total} (cleanup --type ${report.type}).\n` : `Removed ${report.removed} of ${report.items.length} item(s), ${total}; ${report.failed.length} failed.\n`);
      }
      for (const f of report.failed) process.stderr.write(`failed: ${f.name}: ${f.error}\n`);
      if (report.failed.length) throw new CliError(`${report.failed.length} item(s) were not removed (above); fix the cause and run the cleanup again.`);
    });
}
