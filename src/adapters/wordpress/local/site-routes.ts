/**
 * A site's host names: edge routes to the tenant (symlinks, nginx.ts) and the tenant's sites map
 * (sites-map.ts, read by wp-config.php). Site routes point at `tenants/<t>/sites-www`, an alias of
 * `www/`, so the instance's own route reconciliation (tenant-steps.ts, `routesTo(www)`) leaves
 * them alone. Changes are serialised per tenant by the caller's `serialised`.
 */
import { lstat, readFile, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BbwsError } from '../../../domain/errors.js';
import { isValidSiteId } from '../../../domain/site.js';
import type { Logger } from '../../../ports/logger.js';
import type { SiteRef } from '../../../ports/wordpress.js';
import { safeHostname, safeTenantId } from '../../runtime/local/escape.js';
import type { WordPressHost } from '../../runtime/local/local-runtime.js';
import { cachePluginFile, guardPluginFile, sitesStateFile, writeCachePlugin, writeGuardPlugin, writeSitesMap } from '../../runtime/local/tenant-files.js';
import type { SiteHosts } from './sites-map.js';

const SITES_DOCROOT = 'sites-www';

/** Validates a SiteRef (ids, host names) and lower-cases its host names. */
export function checkSite(site: SiteRef): SiteRef {
  safeTenantId(site.tenantId);
  if (!isValidSiteId(site.siteId)) throw new BbwsError('VALIDATION_FAILED', 'invalid site id', { siteId: site.siteId });
  if (!Array.isArray(site.hostnames) || site.hostnames.length === 0) throw new BbwsError('VALIDATION_FAILED', 'a site needs a host name', { siteId: site.siteId });
  return { ...site, hostnames: site.hostnames.map((h) => safeHostname(h.toLowerCase())) };
}

export interface SiteRoutesDeps {
  runtime: WordPressHost;
  logger: Logger;
  edgePort: number;
  serialised: <T>(tenantId: string, fn: () => Promise<T>) => Promise<T>;
}

export function createSiteRoutes({ runtime, logger, edgePort, serialised }: SiteRoutesDeps) {
  const readSites = async (tenantId: string): Promise<SiteHosts[]> => {
    const raw = await readFile(sitesStateFile(runtime.tenantPaths(tenantId)), 'utf8').catch(() => '[]');
    return JSON.parse(raw) as SiteHosts[];
  };

  const sitesDocroot = async (tenantId: string): Promise<string> => {
    const paths = runtime.tenantPaths(tenantId);
    const alias = join(paths.dir, SITES_DOCROOT);
    try {
      await lstat(alias);
    } catch {
      await symlink(paths.www, alias);
    }
    return alias;
  };

  /** Where `host` routes now (a docroot), or undefined. */
  const routeOf = async (host: string) => readlink(join(runtime.layout.edgeRoutes, host)).catch(() => undefined);

  const routeSite = (input: SiteRef) =>
    serialised(input.tenantId, async () => {
      const site = checkSite(input);
      const t = site.tenantId;
      const paths = runtime.tenantPaths(t);
      const docroot = await sitesDocroot(t);
      const ours = new Set([docroot, paths.www]);
      // Tenants provisioned before the guard mu-plugin existed get it with their first site.
      if (!(await lstat(guardPluginFile(paths)).then(() => true, () => false))) await writeGuardPlugin(paths, await runtime.tenantOwner(t));
      if (!(await lstat(cachePluginFile(paths)).then(() => true, () => false))) await writeCachePlugin(paths, t, runtime.layout.purgeSocket, await runtime.tenantOwner(t));
      // All checks first: a refused host name leaves every route and the map as they were.
      const sites = await readSites(t);
      for (const h of site.hostnames) {
        let target = await routeOf(h);
        // A route left behind by a tenant whose directory is gone serves nothing: take it over.
        if (target !== undefined && !ours.has(target) && !(await lstat(target).then(() => true, () => false))) {
          logger.warn({ tenantId: t, hostname: h, staleTarget: target }, 'removing a stale route to a deleted tenant');
          await runtime.edge.removeRoute(h, target);
          target = undefined;
        }
        if (target !== undefined && !ours.has(target)) throw new BbwsError('HOSTNAME_TAKEN', undefined, { hostname: h });
        if (target === paths.www) throw new BbwsError('HOSTNAME_TAKEN', 'The host name is the tenant instance\'s own host name.', { hostname: h });
        const other = sites.find((s) => s.siteId !== site.siteId && s.hostnames.includes(h));
        if (other) throw new BbwsError('HOSTNAME_TAKEN', 'The host name belongs to another site of this tenant.', { hostname: h, siteId: other.siteId });
      }
      const before = sites.find((s) => s.siteId === site.siteId);
      const previous = before?.hostnames ?? [];
      // A ref without cache settings (a promote's target, a restore) keeps the site's own.
      const cache = site.cache ?? before?.cache;
      const next = [...sites.filter((s) => s.siteId !== site.siteId), { siteId: site.siteId, hostnames: site.hostnames, ...(cache ? { cache } : {}) }];
      // Map before routes: once a host routes to the tenant, wp-config.php must know its site.
      await writeSitesMap(paths, next, edgePort, await runtime.tenantOwner(t));
      const socket = runtime.tenantSocket(t);
      for (const h of site.hostnames) await runtime.edge.addRoute(h, docroot, socket);
      for (const h of previous) if (!site.hostnames.includes(h)) await runtime.edge.removeRoute(h, docroot);
      // The switch per host, and a purge: what the name served before (another site, older content) is gone.
      for (const h of site.hostnames) await runtime.edge.cache.setEnabled(h, cache?.enabled ?? true);
      logger.info({ tenantId: t, siteId: site.siteId, hostnames: site.hostnames }, 'site routed');
    });

  /** Removes the given host names of the site (all its host names: the site is no longer served). */
  const unrouteSite = (input: SiteRef) =>
    serialised(input.tenantId, async () => {
      const site = checkSite(input);
      const t = site.tenantId;
      const paths = runtime.tenantPaths(t);
      const docroot = join(paths.dir, SITES_DOCROOT);
      for (const h of site.hostnames) await runtime.edge.removeRoute(h, docroot);
      const sites = await readSites(t);
      const next = sites
        .map((s) => (s.siteId === site.siteId ? { ...s, hostnames: s.hostnames.filter((h) => !site.hostnames.includes(h)) } : s))
        .filter((s) => s.hostnames.length > 0);
      if (JSON.stringify(next) !== JSON.stringify(sites)) await writeSitesMap(paths, next, edgePort, await runtime.tenantOwner(t));
    });


  return { readSites, routeSite, unrouteSite };
}
