/**
 * The TXT lookup of custom-domain proofs, with node:dns's own resolver (c-ares): no library
 * needed. `server` (BBWS_DNS_SERVER, `host` or `host:port`) picks the resolver; without it the
 * system's (/etc/resolv.conf). Tests point it at a dnsmasq on loopback.
 */
import { Resolver } from 'node:dns/promises';
import { DnsUnavailableError, type TxtLookup } from '../../ports/domains.js';

/** "No such name" and "no such record" are answers; anything else means the resolver failed. */
const NO_RECORD = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME']);

export function createNodeTxtLookup(options: { server?: string | null; timeoutMs?: number } = {}): TxtLookup {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: 2 });
  if (options.server) resolver.setServers([options.server]);
  return {
    async resolveTxt(name) {
      try {
        return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
        if (NO_RECORD.has(code)) return [];
        throw new DnsUnavailableError(name, code);
      }
    },
  };
}
