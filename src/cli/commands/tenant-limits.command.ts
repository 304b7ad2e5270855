/**
 * `bbws tenants limits <tenant> [--php-workers N …] [--reset NAME…] [--wait]`: shows the tenant's
 * limits in force, or changes them through the scale/update call (PATCH …/instance {limits}), which
 * runs as a saga operation (docs/limits.md).
 */
import type { Command } from 'commander';
import { CliError } from '../api-client.js';
import { printJson, printRecord } from '../output.js';
import { clientFor, type CommonOptions } from './common.js';
import { waitForOperation } from './wait-operation.js';

/** Limit name, CLI option, commander's attribute for it, help. */
const OPTIONS = [
  ['phpWorkers', '--php-workers <n>', 'phpWorkers', 'PHP requests served at once (pm.max_children)'],
  ['memoryLimitMb', '--memory-limit <mib>', 'memoryLimit', 'PHP memory_limit per request, MiB'],
  ['uploadMaxMb', '--upload-max <mib>', 'uploadMax', 'largest upload / request body, MiB (over it: 413)'],
  ['dbConnections', '--db-connections <n>', 'dbConnections', 'MariaDB MAX_USER_CONNECTIONS'],
  ['dbQueryTimeSeconds', '--db-query-time <s>', 'dbQueryTime', 'MariaDB MAX_STATEMENT_TIME, seconds'],
  ['requestsPerSecond', '--requests-per-second <n>', 'requestsPerSecond', 'edge requests/s (5 10 20 50 100 200 500 1000 5000 20000; over it: 429)'],
  ['connections', '--connections <n>', 'connections', 'edge connections at once (5 10 20 50 100 200 500 1000; over it: 429)'],
  ['diskQuotaMb', '--disk-quota <mib>', 'diskQuota', "the tenant's files, MiB (over it: 507 to uploads)"],
] as const;
type Attribute = (typeof OPTIONS)[number][2];
type LimitOptions = CommonOptions & { wait?: boolean; reset?: string[] } & Partial<Record<Attribute, string>>;

/** The `limits` body from the options: whole numbers, and null for each `--reset NAME`. */
export function limitsBody(opts: LimitOptions): Record<string, number | null> {
  const body: Record<string, number | null> = {};
  for (const [name, flag, attribute] of OPTIONS) {
    const v = opts[attribute];
    if (v === undefined) continue;
    if (!/^\d{1,7}$/.test(v)) throw new CliError(`${flag.split(' ')[0]} wants a whole number (got "${v}").`, 2);
    body[name] = Number(v);
  }
  for (const name of opts.reset ?? []) {
    if (!OPTIONS.some(([n]) => n === name)) throw new CliError(`--reset takes a limit name: ${OPTIONS.map(([n]) => n).join(', ')} (got "${name}").`, 2);
    body[name] = null;
  }
  return body;
}

export function registerTenantLimitsCommand(tenants: Command): void {
  const cmd = tenants.command('limits <tenantId>').description("show or change a tenant's limits (PHP workers, memory, upload size, DB connections and query time)");
  for (const [, flag, , help] of OPTIONS) cmd.option(flag, help);
  cmd
    .option('--reset <name>', 'back to the default (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--wait', 'follow the operation until it finishes')
    .action(async (tenantId: string, opts: LimitOptions) => {
      const client = await clientFor(opts);
      const path = `/v1.0/tenants/${encodeURIComponent(tenantId)}/instance`;
      const body = limitsBody(opts);
      if (Object.keys(body).length === 0) {
        const instance = await client.request<{ limits?: Record<string, number> }>('GET', path);
        return opts.json ? printJson({ tenantId, limits: instance.limits }) : printRecord({ tenant: tenantId, ...instance.limits });
      }
      const result = await client.request<{ operationId: string }>('PATCH', path, { limits: body });
      if (!opts.wait) return opts.json ? printJson(result) : printRecord({ ...result, next: `bbws operations get ${result.operationId} --wait` });
      process.stderr.write(`operation ${result.operationId} for ${tenantId}:\n`);
      const op = await waitForOperation(client, result.operationId);
      const instance = await client.request<{ limits?: Record<string, number> }>('GET', path);
      if (opts.json) return printJson({ ...result, operation: op, limits: instance.limits });
      printRecord({ tenant: tenantId, operation: op.status, ...instance.limits });
    });
}
