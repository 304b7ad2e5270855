/**
 * `bbws tenants list|get|create|scale|limits|delete|rollback|install-link`.
 */
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { printJson, printRecord, printTable } from '../output.js';
import { clientFor, type CommonOptions } from './common.js';
import { waitForOperation } from './wait-operation.js';
import { registerInstallLinkCommand } from './install-link.command.js';
import { registerTenantLimitsCommand } from './tenant-limits.command.js';

interface TenantView {
  tenantId: string;
  domainName: string;
  version: number;
  instance: { provisioningState: string; workflowStatus: string | null; desiredCount: number; runningCount: number; lastError: string | null; hostnames: string[]; limits?: Record<string, number> } | null;
}

const row = (t: TenantView) => ({
  tenant: t.tenantId,
  state: t.instance?.provisioningState,
  workflow: t.instance?.workflowStatus,
  desired: t.instance?.desiredCount,
  running: t.instance?.runningCount,
  domain: t.domainName,
  lastError: t.instance?.lastError,
});

async function accepted(client: ApiClient, opts: CommonOptions & { wait?: boolean }, result: { tenantId: string; operationId: string; provisioningState: string }) {
  if (opts.wait) {
    process.stderr.write(`operation ${result.operationId} for ${result.tenantId}:\n`);
    const op = await waitForOperation(client, result.operationId);
    const tenant = await client.request<TenantView>('GET', `/v1.0/tenants/${result.tenantId}`);
    if (opts.json) return printJson({ ...result, operation: op, tenant });
    return printRecord({ ...row(tenant), operationId: result.operationId, operation: op.status });
  }
  if (opts.json) return printJson(result);
  printRecord({ ...result, next: `bbws operations get ${result.operationId} --wait` });
}

export function registerTenantCommands(program: Command): void {
  const tenants = program.command('tenants').description('tenants and their WordPress instances');

  tenants.command('list').description('list tenants')
    .option('--limit <n>', 'page size (1-100)', '100')
    .action(async (opts: CommonOptions & { limit: string }) => {
      const client = await clientFor(opts);
      const items: TenantView[] = [];
      let next: string | null = null;
      do {
        const qs: string = `?limit=${encodeURIComponent(opts.limit)}${next ? `&nextToken=${encodeURIComponent(next)}` : ''}`;
        const page: { items: TenantView[]; nextToken: string | null } = await client.request('GET', `/v1.0/tenants${qs}`);
        items.push(...page.items);
        next = page.nextToken;
      } while (next);
      if (opts.json) return printJson({ items });
      printTable(items.map(row), ['tenant', 'state', 'workflow', 'desired', 'running', 'domain', 'lastError']);
    });

  tenants.command('get <tenantId>').description('show a tenant and its instance').action(async (tenantId: string, opts: CommonOptions) => {
    const t = await (await clientFor(opts)).request<TenantView>('GET', `/v1.0/tenants/${encodeURIComponent(tenantId)}`);
    if (opts.json) return printJson(t);
    const limits = t.instance?.limits ? Object.entries(t.instance.limits).map(([k, v]) => `${k}=${v}`).join(' ') : undefined;
    printRecord({ ...row(t), hostnames: t.instance?.hostnames.join(', '), limits, version: t.version });
  });

  tenants.command('create <tenantName>').description('create a tenant (provisioned asynchronously)')
    .option('--domain <host>', 'custom domain name')
    .option('--cpu <units>', 'ECS CPU units (256-4096)')
    .option('--memory <mib>', 'memory in MiB')
    .option('--desired-count <n>', 'number of workers')
    .option('--wait', 'follow the operation until it finishes')
    .action(async (tenantName: string, opts: CommonOptions & { domain?: string; cpu?: string; memory?: string; desiredCount?: string; wait?: boolean }) => {
      const resources: Record<string, number> = {};
      if (opts.cpu !== undefined) resources.cpu = Number(opts.cpu);
      if (opts.memory !== undefined) resources.memory = Number(opts.memory);
      if (opts.desiredCount !== undefined) resources.desiredCount = Number(opts.desiredCount);
      const body = { tenantName, ...(opts.domain ? { domainName: opts.domain } : {}), ...(Object.keys(resources).length ? { resources } : {}) };
      const client = await clientFor(opts);
      await accepted(client, opts, await client.request('POST', '/v1.0/tenants', body));
    });

  tenants.command('scale <tenantId> <desiredCount>').description('change the desired count')
    .option('--wait', 'follow the operation until it finishes')
    .action(async (tenantId: string, count: string, opts: CommonOptions & { wait?: boolean }) => {
      const client = await clientFor(opts);
      await accepted(client, opts, await client.request('PATCH', `/v1.0/tenants/${encodeURIComponent(tenantId)}/instance`, { desiredCount: Number(count) }));
    });

  registerTenantLimitsCommand(tenants);

  tenants.command('rollback <tenantId>').description('roll the instance back to its previous spec revision')
    .option('--wait', 'follow the operation until it finishes')
    .action(async (tenantId: string, opts: CommonOptions & { wait?: boolean }) => {
      const client = await clientFor(opts);
      await accepted(client, opts, await client.request('POST', `/v1.0/tenants/${encodeURIComponent(tenantId)}/instance/rollback`));
    });

  tenants.command('delete <tenantId>').description('deprovision: soft keeps data (quick to re-create), hard removes everything')
    .option('--mode <mode>', 'soft or hard', 'soft')
    .option('--wait', 'follow the operation until it finishes')
    .action(async (tenantId: string, opts: CommonOptions & { mode: string; wait?: boolean }) => {
      const client = await clientFor(opts);
      await accepted(client, opts, await client.request('DELETE', `/v1.0/tenants/${encodeURIComponent(tenantId)}?mode=${encodeURIComponent(opts.mode)}`));
    });

  registerInstallLinkCommand(tenants);
}
