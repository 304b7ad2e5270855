/**
 * `bbws sites list|get|create|update|delete|clone|promote|undo-promote|purge`. A site is named by its id
 * or by its name wherever a command takes one.
 */
import type { Command } from 'commander';
import { CliError } from '../api-client.js';
import { printJson, printRecord, printTable } from '../output.js';
import { clientFor, type CommonOptions } from './common.js';
import { findSite, finishSiteOperation, siteIdOf, sitePath, siteRow, type SiteView } from './site-views.js';

type WaitOptions = CommonOptions & { wait?: boolean };
type UpdateOptions = WaitOptions & { title?: string; addHost?: string[]; removeHost?: string[]; option?: string[]; cache?: string; cacheTtl?: string };

/** Commander collects a repeated option into a list. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--option posts_per_page=5`: whole numbers become numbers, true/false booleans, the rest strings. */
export function parseOptionAssignments(assignments: string[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq < 1) throw new CliError(`--option wants key=value (got "${a}"), e.g. --option blogdescription="Fresh bread daily".`, 2);
    const [key, raw] = [a.slice(0, eq), a.slice(eq + 1)];
    out[key] = /^-?\d{1,15}$/.test(raw) ? Number(raw) : raw === 'true' ? true : raw === 'false' ? false : raw;
  }
  return out;
}

/** The PATCH body for `sites update`: host names are the site's current ones plus and minus the given ones. */
export function siteUpdateBody(site: SiteView, opts: UpdateOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (opts.title !== undefined) body.title = opts.title;
  if (opts.addHost?.length || opts.removeHost?.length) {
    const remove = new Set((opts.removeHost ?? []).map((h) => h.toLowerCase()));
    if (remove.has(site.hostnames[0])) throw new CliError(`${site.hostnames[0]} is the site's own host name and stays; remove only names added to it.`, 2);
    const unknown = [...remove].filter((h) => !site.hostnames.includes(h));
    if (unknown.length) throw new CliError(`The site has no host name ${unknown.join(', ')}; it has ${site.hostnames.join(', ')}.`, 2);
    body.hostnames = [...new Set([...site.hostnames.filter((h) => !remove.has(h)), ...(opts.addHost ?? []).map((h) => h.toLowerCase())])];
  }
  if (opts.option?.length) body.options = parseOptionAssignments(opts.option);
  const cache: Record<string, unknown> = {};
  if (opts.cache !== undefined) {
    if (opts.cache !== 'on' && opts.cache !== 'off') throw new CliError(`--cache wants on or off (got "${opts.cache}").`, 2);
    cache.enabled = opts.cache === 'on';
  }
  if (opts.cacheTtl !== undefined) {
    if (!/^\d{1,7}$/.test(opts.cacheTtl)) throw new CliError(`--cache-ttl wants a number of seconds, e.g. --cache-ttl 600 (got "${opts.cacheTtl}").`, 2);
    cache.ttlSeconds = Number(opts.cacheTtl);
  }
  if (Object.keys(cache).length) body.cache = cache;
  if (Object.keys(body).length === 0) throw new CliError('Nothing to change: pass --title, --add-host, --remove-host, --option key=value, --cache on|off or --cache-ttl SECONDS.', 2);
  return body;
}

export function registerSiteCommands(program: Command): void {
  const sites = program.command('sites').description("WordPress sites inside a tenant's instance (a site is named by its id or its name)");
  sites.command('list <tenantId>').action(async (tenant: string, opts: CommonOptions) => {
    const { sites: list } = await (await clientFor(opts)).request<{ sites: SiteView[] }>('GET', sitePath(tenant));
    if (opts.json) return printJson({ sites: list });
    printTable(list.map(siteRow), ['site', 'name', 'status', 'environment', 'url', 'template', 'lastError']);
  });
  sites.command('get <tenantId> <site>').description('show a site (by id or name)').action(async (tenant: string, site: string, opts: CommonOptions) => {
    const s = await findSite(await clientFor(opts), tenant, site);
    if (opts.json) return printJson(s);
    printRecord({ ...siteRow(s), hostnames: s.hostnames.join(', '), cache: s.cache ? `${s.cache.enabled ? 'on' : 'off'}, ttl ${s.cache.ttlSeconds}s` : 'on', plugins: s.plugins });
  });
  sites
    .command('create <tenantId> <siteName>')
    .description('create a site; prints the admin password once')
    .requiredOption('--title <title>', 'site title')
    .requiredOption('--admin-email <email>', "administrator's e-mail")
    .option('--template <templateId>', 'apply a template')
    .option('--staging', 'label the site staging (default production)')
    .option('--hostname <host...>', 'custom host names')
    .option('--wait', 'follow the operation until it finishes')
    .action(async (tenant: string, siteName: string, opts: WaitOptions & { title: string; adminEmail: string; template?: string; staging?: boolean; hostname?: string[] }) => {
      const body = { siteName, title: opts.title, adminEmail: opts.adminEmail, ...(opts.template ? { templateId: opts.template } : {}), environment: opts.staging ? 'staging' : 'production', ...(opts.hostname ? { hostnames: opts.hostname } : {}) };
      const client = await clientFor(opts);
      const result = await client.request<Record<string, unknown> & { operationId: string; siteId: string }>('POST', sitePath(tenant), body);
      process.stderr.write(`Admin user ${result.adminUser}, password ${result.adminPassword} — shown once: store it now.\n`);
      await finishSiteOperation(client, opts, tenant, result);
    });
  sites
    .command('update <tenantId> <site>')
    .description('change the title, host names or allowlisted options (docs/sites.md)')
    .option('--title <title>', 'new site title')
    .option('--add-host <host>', 'add a host name (repeatable)', collect)
    .option('--remove-host <host>', 'remove an added host name (repeatable)', collect)
    .option('--option <key=value>', 'set an allowlisted WordPress option (repeatable), e.g. blogdescription="Fresh bread"', collect)
    .option('--cache <on|off>', "switch the site's edge page cache on or off")
    .option('--cache-ttl <seconds>', 'how long the edge keeps a page (1..604800)')
    .option('--wait', 'follow the operation until it finishes')
    .action(async (tenant: string, site: string, opts: UpdateOptions) => {
      const client = await clientFor(opts);
      const current = await findSite(client, tenant, site);
      const result = await client.request<{ siteId: string; operationId: string }>('PATCH', sitePath(tenant, current.siteId), siteUpdateBody(current, opts));
      await finishSiteOperation(client, opts, tenant, result);
    });
  sites
    .command('delete <tenantId> <site>')
    .option('--wait', 'follow the operation')
    .action(async (tenant: string, site: string, opts: WaitOptions) => {
      const client = await clientFor(opts);
      await finishSiteOperation(client, opts, tenant, await client.request('DELETE', sitePath(tenant, await siteIdOf(client, tenant, site))));
    });
  sites
    .command('clone <tenantId> <site> <newSiteName>')
    .description('copy database and content into a new (staging) site')
    .option('--wait', 'follow the operation')
    .action(async (tenant: string, site: string, siteName: string, opts: WaitOptions) => {
      const client = await clientFor(opts);
      await finishSiteOperation(client, opts, tenant, await client.request('POST', `${sitePath(tenant, await siteIdOf(client, tenant, site))}/clone`, { siteName }));
    });
  sites
    .command('promote <tenantId> <fromSite> <toSite>')
    .description('copy a staging site over production (backup first)')
    .option('--scope <parts...>', 'database uploads themes plugins (default all)')
    .action(async (tenant: string, from: string, to: string, opts: CommonOptions & { scope?: string[] }) => {
      const client = await clientFor(opts);
      const [fromId, toId] = [await siteIdOf(client, tenant, from), await siteIdOf(client, tenant, to)];
      const result = await client.request<{ site: SiteView }>('POST', `${sitePath(tenant, fromId)}/promote`, { targetSiteId: toId, ...(opts.scope ? { scope: opts.scope } : {}) });
      if (opts.json) return printJson(result);
      printRecord({ ...siteRow(result.site), undo: `bbws sites undo-promote ${tenant} ${to}` });
    });
  sites
    .command('purge <tenantId> <site>')
    .description("remove the site's pages from the edge's page cache (all, or one URL with --url)")
    .option('--url <url>', 'only this page (a path such as /blog/ or a URL of the site) and its query variants')
    .action(async (tenant: string, site: string, opts: CommonOptions & { url?: string }) => {
      const client = await clientFor(opts);
      const result = await client.request<{ siteId: string; purged: number; ms: number }>('POST', `${sitePath(tenant, await siteIdOf(client, tenant, site))}/cache/purge`, opts.url ? { url: opts.url } : {});
      if (opts.json) return printJson(result);
      process.stdout.write(`Purged ${result.purged} cached page${result.purged === 1 ? '' : 's'} of ${site}${opts.url ? ` at ${opts.url}` : ''} in ${Math.round(result.ms)} ms.\n`);
    });
  sites
    .command('undo-promote <tenantId> <site>')
    .description('restore the backup taken before the last promote over this site')
    .action(async (tenant: string, site: string, opts: CommonOptions) => {
      const client = await clientFor(opts);
      const result = await client.request<{ site: SiteView }>('POST', `${sitePath(tenant, await siteIdOf(client, tenant, site))}/promote/undo`);
      if (opts.json) return printJson(result);
      printRecord(siteRow(result.site));
    });
}
