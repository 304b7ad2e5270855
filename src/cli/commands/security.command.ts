/**
 * `bbws security logins --failed [--since 24h] [--tenant T]` (seed 002 "Check Failed Login
 * Attempts"): failed WordPress logins and rejected API tokens, with the brute-force blocks, from
 * the audit log (a tenant-admin token sees its own tenant's).
 */
import type { Command } from 'commander';
import { CliError } from '../api-client.js';
import type { AuditEntry } from '../../ports/audit.js';
import { printJson, printTable } from '../output.js';
import { clientFor, type CommonOptions } from './common.js';

const ACTIONS = ['LOGIN_FAILED', 'LOGIN_BLOCKED', 'AUTH_REJECTED'];

export function registerSecurityCommands(program: Command): void {
  const security = program.command('security').description('security monitoring (seed 002)');
  security.command('logins').description('failed WordPress logins, brute-force blocks and rejected API tokens')
    .option('--failed', 'failed attempts (the only kind recorded)')
    .option('--since <when>', 'a duration back from now (30m, 24h, 1d) or an ISO time', '24h')
    .option('--tenant <id>', 'only this tenant')
    .action(async (opts: CommonOptions & { failed?: boolean; since: string; tenant?: string }) => {
      if (!opts.failed) throw new CliError('Only failed logins are recorded: add --failed.', 2);
      const client = await clientFor(opts);
      const items: AuditEntry[] = [];
      for (const action of ACTIONS) {
        const q = new URLSearchParams({ since: opts.since, action, limit: '10000' });
        if (opts.tenant) q.set('tenant', opts.tenant);
        items.push(...(await client.request<{ items: AuditEntry[] }>('GET', `/v1.0/audit?${q}`)).items);
      }
      items.sort((a, b) => a.seq - b.seq);
      const rows = items.map((e) => ({ time: e.time, kind: e.action, tenant: e.tenantId, host: e.details?.host ?? (e.action === 'LOGIN_BLOCKED' ? e.target : null), user: e.details?.user ?? null, ip: e.sourceIp, detail: e.action === 'LOGIN_BLOCKED' ? `blocked until ${e.details?.until}` : e.action === 'AUTH_REJECTED' ? `${e.details?.reason} ${e.details?.request}` : e.target }));
      if (opts.json) return printJson({ items: rows });
      printTable(rows, ['time', 'kind', 'tenant', 'host', 'user', 'ip', 'detail']);
    });
}
