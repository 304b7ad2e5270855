/**
 * `bbws templates list|get|preview|add|apply`: site templates (blueprints, docs/templates.md).
 * A preview is seed 001's "Preview": a temporary staging site with the template applied, which
 * the platform removes after an hour.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../api-client.js';
import { printJson, printRecord, printTable } from '../output.js';
import { clientFor, type CommonOptions, dataDirOf } from './common.js';
import { finishSiteOperation, siteIdOf, sitePath } from './site-views.js';

interface TemplateView {
  templateId: string;
  name: string;
  description: string;
  theme: string;
  plugins: Array<{ slug: string; version?: string }>;
  options: Record<string, unknown>;
  pages: Array<{ title: string; type?: string; front?: boolean }>;
}

export function registerTemplateCommands(program: Command): void {
  const templates = program.command('templates').description('site templates (blueprints)');
  templates.command('list').action(async (opts: CommonOptions) => {
    const { templates: list } = await (await clientFor(opts)).request<{ templates: Record<string, unknown>[] }>('GET', '/v1.0/templates');
    if (opts.json) return printJson({ templates: list });
    printTable(list, ['templateId', 'name', 'theme', 'description']);
  });
  templates
    .command('get <templateId>')
    .description('show what a template sets up: theme, plugins, options, pages')
    .action(async (templateId: string, opts: CommonOptions) => {
      const t = await (await clientFor(opts)).request<TemplateView>('GET', `/v1.0/templates/${encodeURIComponent(templateId)}`);
      if (opts.json) return printJson(t);
      printRecord({
        templateId: t.templateId,
        name: t.name,
        description: t.description,
        theme: t.theme,
        plugins: t.plugins.map((p) => (p.version ? `${p.slug}@${p.version}` : p.slug)).join(', ') || '-',
        options: Object.entries(t.options).map(([k, v]) => `${k}=${v}`).join(', ') || '-',
        pages: t.pages.map((p) => `${p.title}${p.front ? ' (front page)' : ''}${p.type === 'post' ? ' (post)' : ''}`).join(', ') || '-',
      });
    });
  templates
    .command('preview <templateId>')
    .description('a temporary staging site with the template applied, removed after an hour')
    .option('--tenant <tenantId>', 'the tenant the preview runs in (a tenant-admin token implies its own)')
    .option('--wait', 'follow the operation until the preview serves')
    .action(async (templateId: string, opts: CommonOptions & { tenant?: string; wait?: boolean }) => {
      const client = await clientFor(opts);
      const result = await client.request<{ siteId: string; tenantId: string; operationId: string; url: string; expiresAt: string }>(
        'POST',
        `/v1.0/templates/${encodeURIComponent(templateId)}/preview`,
        opts.tenant ? { tenantId: opts.tenant } : {},
      );
      await finishSiteOperation(client, opts, result.tenantId, result);
    });
  templates
    .command('add <file>')
    .description('validate a blueprint JSON file and add it to the catalog (docs/templates.md)')
    .action(async (file: string, opts: CommonOptions) => {
      let value: unknown;
      try {
        value = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new CliError(`Cannot read a template from ${file}: ${(err as Error).message}`);
      }
      const { createLocalTemplateCatalog } = await import('../../adapters/templates/local-catalog.js');
      const added = await createLocalTemplateCatalog({ dir: join(dataDirOf(opts), 'templates') }).add(value);
      if (opts.json) return printJson(added);
      process.stdout.write(`added template ${added.templateId} (${added.name})\n`);
    });
  templates
    .command('apply <tenantId> <site> <templateId>')
    .option('--wait', 'follow the operation')
    .action(async (tenant: string, site: string, templateId: string, opts: CommonOptions & { wait?: boolean }) => {
      const client = await clientFor(opts);
      await finishSiteOperation(client, opts, tenant, await client.request('POST', `${sitePath(tenant, await siteIdOf(client, tenant, site))}/template`, { templateId }));
    });
}
