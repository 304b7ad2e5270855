/**
 * Reading and changing site records with optimistic locking, and the views the API returns.
 */
import { assertTenantAccess, type Principal } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import { describeSite, siteCacheSettings, type Site } from '../../domain/site.js';
import type { Notification, NotificationType } from '../../domain/notification.js';
import { StoreConflictError, type Write } from '../../ports/store.js';
import type { ProvisioningState } from '../../domain/tenant.js';
import type { SiteRef } from '../../ports/wordpress.js';
import { type AppDeps, isoNow, newId } from '../deps.js';
import { type Change, updateVersioned } from '../update-record.js';
import { siteUrl, type SiteDeps } from './site-deps.js';

/**
 * The site, when `principal` may see its tenant and it is not DELETED; SITE_NOT_FOUND otherwise
 * (another tenant's site reads as missing).
 */
export async function loadSite(deps: AppDeps, principal: Principal | null, tenantId: string, siteId: string): Promise<Site> {
  if (principal) assertTenantAccess(principal, tenantId);
  const site = await deps.store.getSite(tenantId, siteId);
  if (!site || site.status === 'DELETED') throw new BbwsError('SITE_NOT_FOUND', undefined, { tenantId, siteId });
  return site;
}

/** The site as the API shows it, with its URL on the edge. */
export function siteView(deps: Pick<SiteDeps, 'edgePort'>, site: Site) {
  return { ...describeSite(site), url: siteUrl(deps, site.hostnames[0]) };
}

/**
 * A site as its tenant's state shows it: while the tenant is deprovisioned (a soft delete keeps
 * the sites' data, but nothing serves them), an ACTIVE site reads SUSPENDED and says why. Its
 * record is unchanged, so it reads ACTIVE again once the tenant is created again.
 */
export function siteViewInTenant(deps: Pick<SiteDeps, 'edgePort'>, site: Site, tenantState: ProvisioningState | undefined) {
  const view = siteView(deps, site);
  if (tenantState !== 'DEPROVISIONED' || site.status !== 'ACTIVE') return view;
  return { ...view, status: 'SUSPENDED' as const, suspendedReason: 'The tenant is deprovisioned (soft delete); create the tenant again to serve its sites.' };
}

/** What the WordPress port needs to find a site: tenant, site id and host names. */
export function siteRef(site: Site): SiteRef {
  return { tenantId: site.tenantId, siteId: site.siteId, hostnames: site.hostnames, cache: siteCacheSettings(site) };
}

/** Read-modify-write of a site; a host name taken meanwhile is HOSTNAME_TAKEN. */
export async function updateSite(deps: AppDeps, tenantId: string, siteId: string, change: Change<Site>): Promise<Site | undefined> {
  try {
    return await updateVersioned(deps, 'site', () => deps.store.getSite(tenantId, siteId), (site, expectedVersion) => ({ kind: 'putSite', site, expectedVersion }), change);
  } catch (err) {
    if (err instanceof StoreConflictError && err.which === 'hostname') throw new BbwsError('HOSTNAME_TAKEN', undefined, { hostname: err.id });
    throw err;
  }
}

/**
 * The outbox write of a notification about `site`, for the commit of the change that causes it
 * (relayed to the Notifier by app/relay-outbox.ts). `data` must hold no secrets.
 */
export function siteNotification(deps: Pick<AppDeps, 'now'>, type: NotificationType, site: Site, data: Notification['data']): Write {
  return { kind: 'notify', notification: { notificationId: newId(), type, tenantId: site.tenantId, siteId: site.siteId, occurredAt: isoNow(deps), data } };
}

/** Refuses a second running operation on the same site. */
export async function assertNoSiteOperation(deps: AppDeps, tenantId: string, siteId: string): Promise<void> {
  const open = (await deps.store.listOpenOperations(tenantId)).filter((o) => o.input.siteId === siteId);
  if (open.length > 0) throw new BbwsError('OPERATION_IN_PROGRESS', 'Another operation is running for this site; wait for it to finish.', { siteId, operationId: open[0].operationId });
}
