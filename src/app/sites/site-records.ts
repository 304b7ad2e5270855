/**
 * Reading and changing site records with optimistic locking, and the views the API returns.
 */
import { assertTenantAccess, type Principal } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import { describeSite, type Site } from '../../domain/site.js';
import { StoreConflictError, type Write } from '../../ports/store.js';
import type { SiteRef } from '../../ports/wordpress.js';
import { isoNow, type AppDeps } from '../deps.js';
import { siteUrl, type SiteDeps } from './site-deps.js';

export async function loadSite(deps: AppDeps, principal: Principal | null, tenantId: string, siteId: string): Promise<Site> {
  if (principal) assertTenantAccess(principal, tenantId);
  const site = await deps.store.getSite(tenantId, siteId);
  if (!site || site.status === 'DELETED') throw new BbwsError('SITE_NOT_FOUND', undefined, { tenantId, siteId });
  return site;
}

export function siteView(deps: Pick<SiteDeps, 'edgePort'>, site: Site) {
  return { ...describeSite(site), url: siteUrl(deps, site.hostnames[0]) };
}

export function siteRef(site: Site): SiteRef {
  return { tenantId: site.tenantId, siteId: site.siteId, hostnames: site.hostnames };
}

/** Read-modify-write of a site; `change` returns the fields to change, or undefined to leave it. */
export async function updateSite(
  deps: AppDeps,
  tenantId: string,
  siteId: string,
  change: (current: Site) => { patch: Partial<Site>; writes?: Write[] } | undefined,
): Promise<Site | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await deps.store.getSite(tenantId, siteId);
    if (!current) return undefined;
    const decided = change(current);
    if (!decided) return current;
    const next: Site = { ...current, ...decided.patch, updatedAt: isoNow(deps), version: current.version + 1 };
    try {
      await deps.store.commit([{ kind: 'putSite', site: next, expectedVersion: current.version }, ...(decided.writes ?? [])]);
      return next;
    } catch (err) {
      if (err instanceof StoreConflictError && err.which === 'hostname') throw new BbwsError('HOSTNAME_TAKEN', undefined, { hostname: err.id });
      if (!(err instanceof StoreConflictError) || err.which !== 'site' || attempt >= 8) throw err;
    }
  }
}

/** Refuses a second running operation on the same site. */
export async function assertNoSiteOperation(deps: AppDeps, tenantId: string, siteId: string): Promise<void> {
  const open = (await deps.store.listOpenOperations(tenantId)).filter((o) => o.input.siteId === siteId);
  if (open.length > 0) throw new BbwsError('OPERATION_IN_PROGRESS', 'Another operation is running for this site; wait for it to finish.', { siteId, operationId: open[0].operationId });
}
