/**
 * Custom domains (docs/api.md "Host names and custom domains"): a tenant claims a domain and gets
 * a token, publishes it as the TXT record `_bbws-challenge.<domain>`, and asks for verification.
 * Only a verified domain, and names under it, may then be routed to the tenant's sites. The
 * proof is checked once, at verification; a domain verified by one tenant cannot be verified by
 * another until the first is hard-deleted.
 */
import { randomBytes } from 'node:crypto';
import { assertTenantAccess, type Principal } from '../domain/auth.js';
import { BbwsError } from '../domain/errors.js';
import { challengeName, classifyHostname, type HostnamePolicy } from '../domain/hostnames.js';
import { type DomainClaim, DnsUnavailableError } from '../ports/domains.js';
import { type AppDeps, isoNow } from './deps.js';

/** A domain claim as the API shows it, with the DNS TXT challenge to publish. */
export function describeClaim(claim: DomainClaim) {
  return {
    domain: claim.domain,
    status: claim.status,
    challenge: { type: 'dns-txt' as const, name: challengeName(claim.domain), value: claim.token },
    createdAt: claim.createdAt,
    verifiedAt: claim.verifiedAt,
  };
}

/** The host-name rule for `tenantId`, with its verified domains loaded. */
export async function hostnamePolicy(deps: AppDeps, tenantId: string): Promise<HostnamePolicy> {
  const verifiedDomains = (await deps.domains.list(tenantId)).filter((c) => c.status === 'VERIFIED').map((c) => c.domain);
  return { env: deps.env, baseDomain: deps.baseDomain, tenantId, verifiedDomains };
}

async function assertTenantExists(deps: AppDeps, principal: Principal, tenantId: string): Promise<void> {
  assertTenantAccess(principal, tenantId);
  if (!(await deps.store.getTenant(tenantId))) throw new BbwsError('TENANT_NOT_FOUND', undefined, { tenantId });
}

/** POST /v1.0/tenants/{t}/domains {domain} → 201 with the TXT record to publish. */
export async function claimDomain(deps: AppDeps, principal: Principal, tenantId: string, domain: unknown) {
  await assertTenantExists(deps, principal, tenantId);
  const { host, kind } = classifyHostname(domain, { env: deps.env, baseDomain: deps.baseDomain, tenantId }, 'domain');
  if (kind === 'namespace') throw new BbwsError('VALIDATION_FAILED', `${host} is in the tenant's own namespace: it needs no proof.`, { field: 'domain' });
  const owner = await deps.domains.verifiedOwner(host);
  if (owner !== undefined && owner !== tenantId) throw new BbwsError('DOMAIN_TAKEN', undefined, { domain: host });
  const claim = await deps.domains.claim({ tenantId, domain: host, token: `bbws-${randomBytes(24).toString('base64url')}`, status: 'PENDING', createdAt: isoNow(deps), verifiedAt: null });
  deps.logger.info({ tenantId, action: 'DOMAIN_CLAIM', domain: host, status: claim.status }, `domain ${host} claimed`);
  return describeClaim(claim);
}

/** POST /v1.0/tenants/{t}/domains/{d}/verify → 200 VERIFIED, or 422 when the TXT record is not there. */
export async function verifyDomain(deps: AppDeps, principal: Principal, tenantId: string, domain: string) {
  await assertTenantExists(deps, principal, tenantId);
  const claim = await deps.domains.get(tenantId, domain);
  if (!claim) throw new BbwsError('DOMAIN_NOT_FOUND', undefined, { domain });
  if (claim.status === 'VERIFIED') return describeClaim(claim);
  const name = challengeName(claim.domain);
  let found: string[];
  try {
    found = await deps.txt.resolveTxt(name);
  } catch (err) {
    if (err instanceof DnsUnavailableError) throw new BbwsError('DNS_UNAVAILABLE', `The DNS resolver did not answer for ${name} (${err.code}); retry later.`, { name });
    throw err;
  }
  if (!found.includes(claim.token)) {
    deps.logger.info({ tenantId, action: 'DOMAIN_VERIFY', domain, status: 'FAILED', reason: found.length ? 'token mismatch' : 'no TXT record' }, `domain ${domain} not verified`);
    throw new BbwsError('DOMAIN_CHALLENGE_FAILED', `No TXT record ${name} holds the token; publish it and retry.`, { name, expected: claim.token, found });
  }
  if ((await deps.domains.markVerified(tenantId, domain, isoNow(deps))) === 'taken') throw new BbwsError('DOMAIN_TAKEN', undefined, { domain });
  deps.logger.info({ tenantId, action: 'DOMAIN_VERIFY', domain, status: 'VERIFIED' }, `domain ${domain} verified`);
  return describeClaim((await deps.domains.get(tenantId, domain))!);
}

/** GET /v1.0/tenants/{t}/domains. */
export async function listDomains(deps: AppDeps, principal: Principal, tenantId: string) {
  await assertTenantExists(deps, principal, tenantId);
  return { items: (await deps.domains.list(tenantId)).map(describeClaim) };
}
