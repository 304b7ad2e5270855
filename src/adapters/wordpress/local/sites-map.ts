/**
 * The tenant's sites map: which site (table prefix, uploads, home URL) answers a host name.
 * A JSON file: the tenant's wp-config.php reads it on every request (render-wp-config.ts; not
 * `include`d, so the opcode cache, whose API tenants may not use, never serves a stale copy) and picks the entry of HTTP_HOST
 * (port stripped); unknown hosts keep the tenant's default install (`wp_`).
 *
 * `renderSitesMap` is pure (golden file in test/fixtures/local-runtime/sites-map.php): every host
 * is an allow-listed DNS name, every id a validated site id, and JSON.stringify quotes both anyway.
 */
import { safeHostname, safePort } from '../../runtime/local/escape.js';
import { tablePrefix } from '../../../domain/site.js';

/** One site of a tenant: its id and host names (the first is primary). */
export interface SiteHosts {
  siteId: string;
  hostnames: string[];
  /** The site's page cache settings (absent: the edge's defaults). */
  cache?: { enabled: boolean; ttlSeconds: number };
}

/** WordPress's home/siteurl of a site: `http://<host>[:<edgePort>]` (no port when 80). */
export function siteHomeUrl(hostname: string, edgePort: number): string {
  const host = safeHostname(hostname);
  return safePort(edgePort) === 80 ? `http://${host}` : `http://${host}:${edgePort}`;
}

export function renderSitesMap(sites: SiteHosts[], edgePort: number): string {
  const map: Record<string, { id: string; home: string; cache?: { enabled: boolean; ttl: number } }> = {};
  const seen = new Set<string>();
  for (const s of [...sites].sort((a, b) => a.siteId.localeCompare(b.siteId))) {
    tablePrefix(s.siteId);
    if (s.hostnames.length === 0) continue;
    const home = siteHomeUrl(s.hostnames[0]!, edgePort);
    for (const h of s.hostnames) {
      const host = safeHostname(h.toLowerCase());
      if (seen.has(host)) throw new Error(`host ${host} is mapped to two sites`);
      seen.add(host);
      map[host] = { id: s.siteId, home, ...(s.cache ? { cache: { enabled: s.cache.enabled === true, ttl: Math.trunc(Number(s.cache.ttlSeconds)) } } : {}) };
    }
  }
  return JSON.stringify(map, null, 1) + '\n';
}
