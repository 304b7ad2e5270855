/**
 * The tenant's sites map: which site (table prefix, uploads, home URL) answers a host name.
 * The tenant's wp-config.php includes it (render-wp-config.ts) and picks the entry of HTTP_HOST
 * (port stripped); unknown hosts keep the tenant's default install (`wp_`).
 *
 * `renderSitesMap` is pure (golden file in test/fixtures/local-runtime/sites-map.php): every host
 * is an allow-listed DNS name, every id a validated site id, and both are PHP-quoted anyway.
 */
import { phpString, safeHostname, safePort } from '../../runtime/local/escape.js';
import { tablePrefix } from '../../../domain/site.js';

/** One site of a tenant: its id and host names (the first is primary). */
export interface SiteHosts {
  siteId: string;
  hostnames: string[];
}

/** WordPress's home/siteurl of a site: `http://<host>[:<edgePort>]` (no port when 80). */
export function siteHomeUrl(hostname: string, edgePort: number): string {
  const host = safeHostname(hostname);
  return safePort(edgePort) === 80 ? `http://${host}` : `http://${host}:${edgePort}`;
}

export function renderSitesMap(sites: SiteHosts[], edgePort: number): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const s of [...sites].sort((a, b) => a.siteId.localeCompare(b.siteId))) {
    tablePrefix(s.siteId);
    if (s.hostnames.length === 0) continue;
    const home = siteHomeUrl(s.hostnames[0]!, edgePort);
    for (const h of s.hostnames) {
      const host = safeHostname(h.toLowerCase());
      if (seen.has(host)) throw new Error(`host ${host} is mapped to two sites`);
      seen.add(host);
      lines.push(`  ${phpString(host)} => array('id' => ${phpString(s.siteId)}, 'home' => ${phpString(home)}),`);
    }
  }
  return `<?php
/* Rendered by bbws (adapters/wordpress/local/sites-map.ts). Do not edit: re-rendered when sites are routed. */
return array(
${lines.join('\n')}${lines.length ? '\n' : ''});
`;
}
