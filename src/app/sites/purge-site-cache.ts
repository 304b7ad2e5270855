/**
 * POST /v1.0/tenants/{tenantId}/sites/{siteId}/cache/purge {url?} → 200 {purged}: removes the
 * site's pages from the edge's page cache now (every host name of the site; with `url`, that page
 * and its query variants). Synchronous: a purge is a few milliseconds and changes no record.
 */
import type { Principal } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import { wordpressOf, type SiteDeps } from './site-deps.js';
import { loadSite, siteRef } from './site-records.js';

export async function purgeSiteCache(deps: SiteDeps, principal: Principal, tenantId: string, siteId: string, body: { url?: unknown }) {
  const site = await loadSite(deps, principal, tenantId, siteId);
  if (site.status === 'DELETED' || site.status === 'DELETING') throw new BbwsError('INVALID_STATE', `The site is ${site.status}.`, { status: site.status });
  if (body.url !== undefined && (typeof body.url !== 'string' || body.url.length === 0)) throw new BbwsError('VALIDATION_FAILED', 'url must be a path such as /blog/ or a URL of the site.', { field: 'url' });
  const url = body.url as string | undefined;
  if (url !== undefined && /^https?:\/\//i.test(url)) {
    let host = '';
    try {
      host = new URL(url).hostname.toLowerCase();
    } catch {
      throw new BbwsError('VALIDATION_FAILED', 'url is not a URL.', { field: 'url' });
    }
    if (!site.hostnames.includes(host)) throw new BbwsError('VALIDATION_FAILED', `${host} is not a host name of this site (${site.hostnames.join(', ')}).`, { field: 'url' });
  }
  const started = deps.now();
  const purged = await wordpressOf(deps).purgeCache(siteRef(site), url === undefined ? undefined : [url]);
  deps.logger.info({ tenantId, siteId, action: 'cache-purge', purged, url: url ?? null }, 'site page cache purged');
  return { siteId, purged, ms: deps.now() - started };
}
