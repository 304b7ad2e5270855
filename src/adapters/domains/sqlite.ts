/**
 * Custom-domain claims in the platform's SQLite file (migrations namespace `domains`). One claim
 * per (tenant, domain); a partial unique index lets only one tenant hold a domain VERIFIED.
 */
import type { DomainClaim, DomainRegistry } from '../../ports/domains.js';
import { applyMigrations, type Migration, type SqliteDatabase } from '../sqlite/database.js';

const MIGRATIONS: readonly Migration[] = [
  {
    id: '001-domain-claims',
    sql: `
      CREATE TABLE domain_claims (
        tenant_id TEXT NOT NULL,
        domain TEXT NOT NULL,
        token TEXT NOT NULL,
        status TEXT NOT NULL,        -- PENDING, VERIFIED
        created_at TEXT NOT NULL,
        verified_at TEXT,
        PRIMARY KEY (tenant_id, domain)
      );
      CREATE UNIQUE INDEX domain_claims_verified ON domain_claims (domain) WHERE status = 'VERIFIED';
    `,
  },
];

interface Row {
  tenant_id: string;
  domain: string;
  token: string;
  status: string;
  created_at: string;
  verified_at: string | null;
}

const toClaim = (r: Row): DomainClaim => ({
  tenantId: r.tenant_id,
  domain: r.domain,
  token: r.token,
  status: r.status === 'VERIFIED' ? 'VERIFIED' : 'PENDING',
  createdAt: r.created_at,
  verifiedAt: r.verified_at,
});

export function createSqliteDomainRegistry(db: SqliteDatabase): DomainRegistry {
  applyMigrations(db, 'domains', MIGRATIONS);
  const stmt = {
    insert: db.prepare(
      "INSERT INTO domain_claims (tenant_id, domain, token, status, created_at, verified_at) VALUES (@tenantId, @domain, @token, 'PENDING', @createdAt, NULL) ON CONFLICT DO NOTHING",
    ),
    get: db.prepare<[string, string], Row>('SELECT * FROM domain_claims WHERE tenant_id = ? AND domain = ?'),
    list: db.prepare<[string], Row>('SELECT * FROM domain_claims WHERE tenant_id = ? ORDER BY domain'),
    verify: db.prepare("UPDATE domain_claims SET status = 'VERIFIED', verified_at = ? WHERE tenant_id = ? AND domain = ? AND status = 'PENDING'"),
    owner: db.prepare<[string], string>("SELECT tenant_id FROM domain_claims WHERE domain = ? AND status = 'VERIFIED'").pluck(),
    release: db.prepare('DELETE FROM domain_claims WHERE tenant_id = ?'),
  };
  return {
    async claim(claim) {
      stmt.insert.run({ tenantId: claim.tenantId, domain: claim.domain, token: claim.token, createdAt: claim.createdAt });
      return toClaim(stmt.get.get(claim.tenantId, claim.domain)!);
    },
    async get(tenantId, domain) {
      const row = stmt.get.get(tenantId, domain);
      return row && toClaim(row);
    },
    async list(tenantId) {
      return stmt.list.all(tenantId).map(toClaim);
    },
    async markVerified(tenantId, domain, at) {
      try {
        stmt.verify.run(at, tenantId, domain);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return 'taken';
        throw err;
      }
      return 'verified';
    },
    async verifiedOwner(domain) {
      return stmt.owner.get(domain);
    },
    async releaseTenant(tenantId) {
      stmt.release.run(tenantId);
    },
  };
}
