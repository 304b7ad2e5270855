/**
 * Custom domains a tenant claims and proves it owns (a DNS TXT record at
 * `_bbws-challenge.<domain>` holding the claim's token). Adapters: `adapters/domains/sqlite.ts`
 * (records), `adapters/domains/node-dns.ts` (the TXT lookup).
 *
 * What a registry must guarantee (contract: `test/contract/domains.contract.ts`): one claim per
 * tenant and domain (the first wins); at most one tenant has a domain VERIFIED, decided
 * atomically (a conditional write on DynamoDB); releasing a tenant frees its names at once.
 */
export type DomainStatus = 'PENDING' | 'VERIFIED';

export interface DomainClaim {
  tenantId: string;
  domain: string;
  /** What the TXT record must hold. Not a secret: it is published in DNS. */
  token: string;
  status: DomainStatus;
  createdAt: string;
  verifiedAt: string | null;
}

export interface DomainRegistry {
  /** Records a PENDING claim, or returns this tenant's existing claim of the domain unchanged. */
  claim(claim: DomainClaim): Promise<DomainClaim>;
  get(tenantId: string, domain: string): Promise<DomainClaim | undefined>;
  list(tenantId: string): Promise<DomainClaim[]>;
  /** Marks the claim VERIFIED; `taken` (nothing changed) when another tenant verified the domain first. */
  markVerified(tenantId: string, domain: string, at: string): Promise<'verified' | 'taken'>;
  /** The tenant that verified `domain` itself (not a parent of it), if any. */
  verifiedOwner(domain: string): Promise<string | undefined>;
  /** Forgets every claim of the tenant (its hard delete frees its names). */
  releaseTenant(tenantId: string): Promise<void>;
}

/** Thrown by {@link TxtLookup.resolveTxt} when the resolver itself failed (not "no such record"). */
export class DnsUnavailableError extends Error {
  constructor(readonly lookedUp: string, readonly code: string) {
    super(`the DNS resolver gave no answer for ${lookedUp} (${code})`);
    this.name = 'DnsUnavailableError';
  }
}

export interface TxtLookup {
  /** The TXT strings of `name` (each record's chunks joined); [] when the name or record does not exist. */
  resolveTxt(name: string): Promise<string[]>;
}
