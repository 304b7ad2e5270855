/**
 * `bbws audit list|verify` (seed 002 "Review Audit Logs"). `list` asks the API (a tenant-admin
 * token sees its own tenant only); `verify` reads the chain from the data dir itself, so it works
 * with the platform stopped, and exits 2 when an entry was edited, deleted, inserted or moved
 * (1 for a torn last line alone, which the next write repairs).
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import type { AuditEntry, AuditVerification } from '../../ports/audit.js';
import { printJson, printTable } from '../output.js';
import { clientFor, dataDirOf, type CommonOptions } from './common.js';

interface ListOptions extends CommonOptions {
  since: string;
  tenant?: string;
  actor?: string;
  action?: string;
  limit?: string;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log of every mutating action (seed 002)');
  audit.command('list').description('entries, oldest first')
    .option('--since <when>', 'a duration back from now (30m, 24h, 1d) or an ISO time', '1d')
    .option('--tenant <id>', 'only this tenant')
    .option('--actor <subject>', "only this token subject (e.g. operator:…, or unix:root for local commands)")
    .option('--action <action>', 'only this action or prefix (POST, DELETE /v1.0/tenants, TOKEN_CREATE, AUTH_REJECTED)')
    .option('--limit <n>', 'at most this many, the newest (1-10000)', '1000')
    .action(async (opts: ListOptions) => {
      const q = new URLSearchParams({ since: opts.since });
      for (const key of ['tenant', 'actor', 'action', 'limit'] as const) if (opts[key] !== undefined) q.set(key, String(opts[key]));
      const { items } = await (await clientFor(opts)).request<{ items: AuditEntry[] }>('GET', `/v1.0/audit?${q}`);
      if (opts.json) return printJson({ items });
      printTable(
        items.map((e) => ({ ...e, actor: e.actor ? `${e.actor.subject} (${e.actor.role})` : '-', result: `${e.result.statusCode}${e.result.errorCode ? ` ${e.result.errorCode}` : ''}` })),
        ['seq', 'time', 'actor', 'sourceIp', 'action', 'target', 'result', 'correlationId'],
      );
    });

  audit.command('verify').description('check the hash chain: says which line was edited, deleted or moved')
    .action(async (opts: CommonOptions) => {
      const { verifyAuditLogFiles } = await import('../../adapters/audit/jsonl-audit-log.js');
      const result: AuditVerification = await verifyAuditLogFiles(join(dataDirOf(opts), 'audit'));
      const tampered = result.problems.some((p) => p.kind !== 'torn-tail');
      process.exitCode = tampered ? 2 : result.problems.length ? 1 : 0;
      if (opts.json) return printJson(result);
      const head = result.head ? `, head seq ${result.head.seq} ${result.head.hash}` : '';
      if (result.ok) process.stdout.write(`audit log OK: ${result.entries} entries, chain intact${head}\n`);
      else {
        process.stdout.write(`audit log ${tampered ? 'TAMPERED' : 'has a torn last line'}: ${result.entries} entries${head}\n`);
        for (const p of result.problems) process.stdout.write(`  ${p.message}\n`);
        if (tampered) process.stdout.write('next: treat this as a security incident (docs/operations.md "Audit log"): keep a copy of the data dir\'s audit/ directory, compare it with your backups, and find who had root on this host.\n');
      }
      for (const r of result.repairs) process.stdout.write(`  note: a torn last line (${r.bytes} bytes) was repaired at seq ${r.seq} (${r.time})\n`);
    });
}
