/**
 * What the site and template commands share: the site row, the API path, finding a site by its
 * id or its name, and `--wait` for site operations.
 */
import type { ApiClient } from '../api-client.js';
import { CliError } from '../api-client.js';
import { printJson, printRecord } from '../output.js';
import type { CommonOptions } from './common.js';
import { waitForOperation } from './wait-operation.js';

export type SiteView = Record<string, unknown> & { siteId: string; siteName: string; status: string; url: string; hostnames: string[]; cache?: { enabled: boolean; ttlSeconds: number } };

export const siteRow = (s: SiteView) => ({ site: s.siteId, name: s.siteName, status: s.status, environment: s.environment, url: s.url, template: s.templateId, lastError: s.lastError });

export const sitePath = (tenant: string, site?: string) => `/v1.0/tenants/${encodeURIComponent(tenant)}/sites${site ? `/${encodeURIComponent(site)}` : ''}`;

/**
 * A site by its id or by its name (`shop`): site ids are random, names are what people remember.
 * One call: the tenant's list holds every live site with its full view.
 */
export async function findSite(client: ApiClient, tenant: string, idOrName: string): Promise<SiteView> {
  const { sites } = await client.request<{ sites: SiteView[] }>('GET', sitePath(tenant));
  const site = sites.find((s) => s.siteId === idOrName) ?? sites.find((s) => s.siteName === idOrName);
  if (!site) throw new CliError(`Tenant ${tenant} has no site with id or name "${idOrName}"; see \`bbws sites list ${tenant}\`.`);
  return site;
}

/** The id of a site given by id or name. */
export async function siteIdOf(client: ApiClient, tenant: string, idOrName: string): Promise<string> {
  return (await findSite(client, tenant, idOrName)).siteId;
}

/** Prints an accepted site operation, or with `--wait` follows it and prints the site it left. */
export async function finishSiteOperation(api: ApiClient, opts: CommonOptions & { wait?: boolean }, tenant: string, result: Record<string, unknown> & { operationId: string; siteId: string }) {
  if (opts.wait) {
    await waitForOperation(api, result.operationId);
    const site = await api.request<SiteView>('GET', sitePath(tenant, result.siteId)).catch(() => null);
    if (opts.json) return printJson({ ...result, site });
    return printRecord({ ...result, ...(site ? siteRow(site) : { status: 'DELETED' }) });
  }
  if (opts.json) return printJson(result);
  printRecord({ ...result, next: `bbws operations get ${result.operationId} --wait` });
}
