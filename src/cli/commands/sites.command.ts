/**
 * `bbws sites list|get|create|delete|clone|promote|undo-promote` and `bbws templates list|get|add|apply`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createLocalTemplateCatalog } from '../../adapters/templates/local-catalog.js';
import { CliError } from '../api-client.js';
import { printJson, printRecord, printTable } from '../output.js';
import { clientFor, type CommonOptions, dataDirOf, withCommonOptions } from './common.js';
import { waitForOperation } from './wait-operation.js';

type SiteView = Record<string, unknown> & { siteId: string; siteName: string; status: string; url: string; hostnames: string[] };
const row = (s: SiteView) => ({ site: s.siteId, name: s.siteName, status: s.status, environment: s.environment, url: s.url, template: s.templateId, lastError: s.lastError });
const sitePath = (tenant: string, site?: string) => `/v1.0/tenants/${encodeURIComponent(tenant)}/sites${site ? `/${encodeURIComponent(site)}` : ''}`;

async function finish(opts: CommonOptions & { wait?: boolean }, tenant: string, result: Record<string, unknown> & { operationId: string; siteId: string }) {
  const client = await clientFor(opts);
  if (opts.wait) {
    await waitForOperation(client, result.operationId);
    const site = await client.request<SiteView>('GET', sitePath(tenant, result.siteId)).catch(() => null);
    if (opts.json) return printJson({ ...result, site });
    return printRecord({ ...result, ...(site ? row(site) : { status: 'DELETED' }) });
  }
  if (opts.json) return printJson(result);
  printRecord({ ...result, next: `bbws operations get ${result.operationId} --wait` });
}

export function registerSiteCommands(program: Command): void {
  const sites = program.command('sites').description("WordPress sites inside a tenant's instance");
  withCommonOptions(sites.command('list <tenantId>')).action(async (tenant: string, opts: CommonOptions) => {
    const { sites: list } = await (await clientFor(opts)).request<{ sites: SiteView[] }>('GET', sitePath(tenant));
    if (opts.json) return printJson({ sites: list });
    printTable(list.map(row), ['site', 'name', 'status', 'environment', 'url', 'template', 'lastError']);
  });
  withCommonOptions(sites.command('get <tenantId> <siteId>')).action(async (tenant: string, site: string, opts: CommonOptions) => {
    const s = await (await clientFor(opts)).request<SiteView>('GET', sitePath(tenant, site));
    if (opts.json) return printJson(s);
    printRecord({ ...row(s), hostnames: s.hostnames.join(', '), plugins: s.plugins });
  });
  withCommonOptions(sites.command('create <tenantId> <siteName>').description('create a site; prints the admin password once'))
    .requiredOption('--title <title>', 'site title')
    .requiredOption('--admin-email <email>', "administrator's e-mail")
    .option('--template <templateId>', 'apply a template')
    .option('--staging', 'label the site staging (default production)')
    .option('--hostname <host...>', 'custom host names')
    .option('--wait', 'follow the operation until it finishes')
    .action(async (tenant: string, siteName: string, opts: CommonOptions & { title: string; adminEmail: string; template?: string; staging?: boolean; hostname?: string[]; wait?: boolean }) => {
      const body = { siteName, title: opts.title, adminEmail: opts.adminEmail, ...(opts.template ? { templateId: opts.template } : {}), environment: opts.staging ? 'staging' : 'production', ...(opts.hostname ? { hostnames: opts.hostname } : {}) };
      const result = await (await clientFor(opts)).request<Record<string, unknown> & { operationId: string; siteId: string }>('POST', sitePath(tenant), body);
      process.stderr.write(`Admin user ${result.adminUser}, password ${result.adminPassword} — shown once: store it now.\n`);
      await finish(opts, tenant, result);
    });
  withCommonOptions(sites.command('delete <tenantId> <siteId>')).option('--wait', 'follow the operation').action(async (tenant: string, site: string, opts: CommonOptions & { wait?: boolean }) => {
    await finish(opts, tenant, await (await clientFor(opts)).request('DELETE', sitePath(tenant, site)));
  });
  withCommonOptions(sites.command('clone <tenantId> <siteId> <newSiteName>').description('copy database and content into a new (staging) site'))
    .option('--wait', 'follow the operation')
    .action(async (tenant: string, site: string, siteName: string, opts: CommonOptions & { wait?: boolean }) => {
      await finish(opts, tenant, await (await clientFor(opts)).request('POST', `${sitePath(tenant, site)}/clone`, { siteName }));
    });
  withCommonOptions(sites.command('promote <tenantId> <fromSiteId> <toSiteId>').description('copy a staging site over production (backup first)'))
    .option('--scope <parts...>', 'database uploads themes plugins (default all)')
    .action(async (tenant: string, from: string, to: string, opts: CommonOptions & { scope?: string[] }) => {
      const result = await (await clientFor(opts)).request<{ site: SiteView }>('POST', `${sitePath(tenant, from)}/promote`, { targetSiteId: to, ...(opts.scope ? { scope: opts.scope } : {}) });
      if (opts.json) return printJson(result);
      printRecord({ ...row(result.site), undo: `bbws sites undo-promote ${tenant} ${to}` });
    });
  withCommonOptions(sites.command('undo-promote <tenantId> <siteId>').description('restore the backup taken before the last promote over this site')).action(async (tenant: string, site: string, opts: CommonOptions) => {
    const result = await (await clientFor(opts)).request<{ site: SiteView }>('POST', `${sitePath(tenant, site)}/promote/undo`);
    if (opts.json) return printJson(result);
    printRecord(row(result.site));
  });

  const templates = program.command('templates').description('site templates (blueprints)');
  withCommonOptions(templates.command('list')).action(async (opts: CommonOptions) => {
    const { templates: list } = await (await clientFor(opts)).request<{ templates: Record<string, unknown>[] }>('GET', '/v1.0/templates');
    if (opts.json) return printJson({ templates: list });
    printTable(list, ['templateId', 'name', 'theme', 'description']);
  });
  templates
    .command('add <file>')
    .description('validate a blueprint JSON file and add it to the catalog (docs/templates.md)')
    .option('--data-dir <dir>', 'data dir of the platform')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { dataDir?: string; json?: boolean }) => {
      let value: unknown;
      try {
        value = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new CliError(`Cannot read a template from ${file}: ${(err as Error).message}`);
      }
      const added = await createLocalTemplateCatalog({ dir: join(dataDirOf(opts), 'templates') }).add(value);
      if (opts.json) return printJson(added);
      process.stdout.write(`added template ${added.templateId} (${added.name})\n`);
    });
  withCommonOptions(templates.command('apply <tenantId> <siteId> <templateId>')).option('--wait', 'follow the operation').action(async (tenant: string, site: string, templateId: string, opts: CommonOptions & { wait?: boolean }) => {
    await finish(opts, tenant, await (await clientFor(opts)).request('POST', `${sitePath(tenant, site)}/template`, { templateId }));
  });
}
