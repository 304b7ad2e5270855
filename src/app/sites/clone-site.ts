/**
 * Cloning a site: a new site of the same tenant made from an ACTIVE one (its content, database and
 * plugins), staging by default. The copy itself is the CLONE_SITE operation's steps (site-steps.ts);
 * promoting a clone back is promote-site.ts.
 */
import type { Principal } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import { assertHostnamesAllowed } from '../../domain/hostnames.js';
import { assertSiteName, type Site } from '../../domain/site.js';
import { hostnamePolicy } from '../custom-domains.js';
import { assertNameFree, commitSiteOperation, newSite, parseEnvironment } from './site-commands.js';
import type { SiteDeps } from './site-deps.js';
import { loadSite, siteView } from './site-records.js';

/** POST …/sites/{siteId}/clone {siteName, hostnames?, environment?} → 202 with the new site's id. */
export async function cloneSite(deps: SiteDeps, principal: Principal, tenantId: string, sourceSiteId: string, body: { siteName: unknown; hostnames?: unknown; environment?: unknown }, correlationId: string | null) {
  const source = await loadSite(deps, principal, tenantId, sourceSiteId);
  if (source.status !== 'ACTIVE') throw new BbwsError('INVALID_STATE', `Only an ACTIVE site can be cloned; this one is ${source.status}.`, { status: source.status });
  const siteName = assertSiteName(body.siteName);
  await assertNameFree(deps, tenantId, siteName);
  const site = newSite(deps, tenantId, {
    siteName,
    title: source.title,
    adminEmail: source.adminEmail,
    environment: parseEnvironment(body.environment, 'staging'),
    templateId: source.templateId,
    extraHostnames: assertHostnamesAllowed(body.hostnames, await hostnamePolicy(deps, tenantId)),
  });
  const clone: Site = { ...site, plugins: source.plugins };
  const op = await commitSiteOperation(deps, clone, null, 'CLONE_SITE', { sourceSiteId }, correlationId);
  return { siteId: clone.siteId, operationId: op.operationId, status: clone.status, url: siteView(deps, clone).url };
}
