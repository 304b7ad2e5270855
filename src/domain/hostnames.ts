/**
 * Which host names a tenant may route: the one rule used by tenant creation, site create, update
 * and clone, and custom-domain claims.
 *
 * - Names under the tenant's own namespace `<tenant>.wp<env>.<base>` (and that name itself).
 * - Custom domains the tenant proved it owns (a DNS TXT record, app/custom-domains.ts), and names
 *   under them.
 *
 * Everything else is refused with a stable code: malformed names and spelling tricks (upper case,
 * a trailing dot) HOSTNAME_INVALID; IP literals in any form a resolver accepts (dotted, decimal,
 * hex, octal, short, IPv6) HOSTNAME_IP_LITERAL; the platform's own names (the base domain,
 * `wp<env>.<base>`, `localhost`, special-use TLDs) HOSTNAME_RESERVED; another tenant's namespace,
 * whether that tenant exists yet or not, HOSTNAME_OTHER_TENANT; an unproven custom domain
 * DOMAIN_NOT_VERIFIED.
 */
import { BbwsError } from './errors.js';
import { ENVIRONMENTS, type Environment, isValidHostname, names } from './naming.js';

export interface HostnameScope {
  env: Environment;
  baseDomain: string;
  tenantId: string;
}

export interface HostnamePolicy extends HostnameScope {
  /** The tenant's verified custom domains. */
  verifiedDomains: readonly string[];
}

/** Special-use names (RFC 6761, 6762, 7686, 8375, RFC 9476 `.alt`) that no DNS proof can cover. */
const SPECIAL_USE_TLDS = new Set(['localhost', 'invalid', 'local', 'internal', 'arpa', 'onion', 'alt']);

/** A last label a URL parser or resolver reads as (part of) an IPv4 address: `1`, `0x7f000001`, `0177`. */
const NUMERIC_LABEL = /^(0x[0-9a-f]*|[0-9]+)$/;

export type HostnameKind = 'namespace' | 'custom';

const under = (host: string, zone: string) => host === zone || host.endsWith(`.${zone}`);

/**
 * Checks what can be told from the name and the tenant alone. Returns the name and whether it is
 * in the tenant's namespace or a custom domain (which still needs proof); throws otherwise.
 */
export function classifyHostname(value: unknown, scope: HostnameScope, field = 'hostnames'): { host: string; kind: HostnameKind } {
  const invalid = (message: string) => new BbwsError('HOSTNAME_INVALID', message, { field, hostname: value });
  if (typeof value !== 'string' || value.length === 0 || value.length > 253) throw invalid('A host name is 1-253 characters.');
  if (value.includes(':') || value.startsWith('[')) throw new BbwsError('HOSTNAME_IP_LITERAL', undefined, { field, hostname: value });
  if (value.endsWith('.')) throw invalid('Write host names without a trailing dot.');
  if (value !== value.toLowerCase()) throw invalid('Write host names in lower case.');
  if (!isValidHostname(value)) throw invalid('A host name is dot-separated labels of letters, digits and inner hyphens.');
  const host = value;
  const labels = host.split('.');
  if (NUMERIC_LABEL.test(labels[labels.length - 1]!)) throw new BbwsError('HOSTNAME_IP_LITERAL', undefined, { field, hostname: host });

  const own = names.defaultHostname(scope.env, scope.tenantId, scope.baseDomain);
  if (under(host, own)) return { host, kind: 'namespace' };
  for (const env of ENVIRONMENTS) {
    const zone = `wp${env}.${scope.baseDomain}`;
    if (host === zone) throw new BbwsError('HOSTNAME_RESERVED', undefined, { field, hostname: host });
    if (host.endsWith(`.${zone}`)) {
      const parts = host.slice(0, -zone.length - 1).split('.');
      throw new BbwsError('HOSTNAME_OTHER_TENANT', undefined, { field, hostname: host, namespace: `${parts[parts.length - 1]}.${zone}` });
    }
  }
  if (under(host, scope.baseDomain) || SPECIAL_USE_TLDS.has(labels[labels.length - 1]!)) {
    throw new BbwsError('HOSTNAME_RESERVED', undefined, { field, hostname: host });
  }
  return { host, kind: 'custom' };
}

/** The verified domain that covers `host` (itself or a parent), if any. */
export function coveringDomain(host: string, verifiedDomains: readonly string[]): string | undefined {
  return verifiedDomains.find((d) => under(host, d));
}

/** Throws unless the tenant may route `value`; returns it. */
export function assertHostnameAllowed(value: unknown, policy: HostnamePolicy, field = 'hostnames'): string {
  const { host, kind } = classifyHostname(value, policy, field);
  if (kind === 'custom' && coveringDomain(host, policy.verifiedDomains) === undefined) {
    throw new BbwsError('DOMAIN_NOT_VERIFIED', undefined, { field, hostname: host });
  }
  return host;
}

/** A request's `hostnames` (absent: none): up to 10 names, each allowed, without repeats. */
export function assertHostnamesAllowed(value: unknown, policy: HostnamePolicy, field = 'hostnames'): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 10) throw new BbwsError('VALIDATION_FAILED', 'hostnames must be a list of up to 10 host names.', { field });
  return [...new Set(value.map((h) => assertHostnameAllowed(h, policy, field)))];
}

/** The DNS name whose TXT record proves ownership of `domain`. */
export function challengeName(domain: string): string {
  return `_bbws-challenge.${domain}`;
}
