/**
 * Sites in the SQLite store: table, row mapping, statements and the conditional put. Host names of
 * sites share the `hostnames` table with instances (a `site_id` of '' marks the instance's own), so
 * one primary key keeps every routed name unique across tenants and sites.
 */
import type { Site } from '../../domain/site.js';
import { StoreConflictError } from '../../ports/store.js';
import type { Migration, SqliteDatabase } from '../sqlite/database.js';

export const SITE_MIGRATIONS: readonly Migration[] = [
  {
    id: '002-sites',
    sql: `
      CREATE TABLE sites (
        tenant_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        site_name TEXT NOT NULL,
        status TEXT NOT NULL,
        environment TEXT NOT NULL,
        expires_at TEXT,
        created_at TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (tenant_id, site_id)
      );
      CREATE INDEX sites_by_expiry ON sites (expires_at) WHERE expires_at IS NOT NULL;
      ALTER TABLE hostnames ADD COLUMN site_id TEXT NOT NULL DEFAULT '';
    `,
  },
];

interface SiteRow {
  tenant_id: string;
  site_id: string;
  site_name: string;
  status: string;
  environment: string;
  expires_at: string | null;
  created_at: string;
  version: number;
  body: string;
}

const toRow = (s: Site): SiteRow => ({
  tenant_id: s.tenantId,
  site_id: s.siteId,
  site_name: s.siteName,
  status: s.status,
  environment: s.environment,
  expires_at: s.expiresAt,
  created_at: s.createdAt,
  version: s.version,
  body: JSON.stringify(s),
});
const fromRow = (r: SiteRow): Site => ({ ...(JSON.parse(r.body) as Site), version: r.version });
const COLUMNS = 'tenant_id, site_id, site_name, status, environment, expires_at, created_at, version, body';

export function createSiteStatements(db: SqliteDatabase, normalizeHostname: (h: string) => string) {
  const stmt = {
    insert: db.prepare<SiteRow>(`INSERT INTO sites (${COLUMNS}) VALUES (@tenant_id, @site_id, @site_name, @status, @environment, @expires_at, @created_at, @version, @body) ON CONFLICT DO NOTHING`),
    update: db.prepare<SiteRow & { expected: number }>(
      `UPDATE sites SET site_name = @site_name, status = @status, environment = @environment, expires_at = @expires_at, version = @version, body = @body
        WHERE tenant_id = @tenant_id AND site_id = @site_id AND version = @expected`,
    ),
    get: db.prepare<[string, string], SiteRow>(`SELECT ${COLUMNS} FROM sites WHERE tenant_id = ? AND site_id = ?`),
    list: db.prepare<[string], SiteRow>(`SELECT ${COLUMNS} FROM sites WHERE tenant_id = ? ORDER BY created_at, site_id`),
    expired: db.prepare<[string], SiteRow>(
      `SELECT ${COLUMNS} FROM sites WHERE expires_at IS NOT NULL AND expires_at < ? AND status NOT IN ('DELETING', 'DELETED') ORDER BY expires_at`,
    ),
    owner: db.prepare<[string], { tenant_id: string; site_id: string }>('SELECT tenant_id, site_id FROM hostnames WHERE hostname = ?'),
    deleteHostnames: db.prepare('DELETE FROM hostnames WHERE tenant_id = ? AND site_id = ?'),
    insertHostname: db.prepare('INSERT INTO hostnames (hostname, tenant_id, site_id) VALUES (?, ?, ?)'),
    deleteTenantSites: db.prepare('DELETE FROM sites WHERE tenant_id = ?'),
    deleteSite: db.prepare('DELETE FROM sites WHERE tenant_id = ? AND site_id = ? AND version = ?'),
  };

  /** Runs inside the store's transaction. A DELETED site releases its host names. */
  function putSite(site: Site, expectedVersion: number | null): void {
    const row = toRow(site);
    const changes = expectedVersion === null ? stmt.insert.run(row).changes : stmt.update.run({ ...row, expected: expectedVersion }).changes;
    if (changes !== 1) throw new StoreConflictError('site', `${site.tenantId}/${site.siteId}`);
    const hostnames = site.status === 'DELETED' ? [] : [...new Set(site.hostnames.map(normalizeHostname))];
    for (const hostname of hostnames) {
      const owner = stmt.owner.get(hostname);
      if (owner && (owner.tenant_id !== site.tenantId || owner.site_id !== site.siteId)) throw new StoreConflictError('hostname', hostname);
    }
    stmt.deleteHostnames.run(site.tenantId, site.siteId);
    for (const hostname of hostnames) stmt.insertHostname.run(hostname, site.tenantId, site.siteId);
  }

  /** Runs inside the store's transaction: the record at that version, and its host names. */
  function deleteSite(tenantId: string, siteId: string, expectedVersion: number): void {
    if (stmt.deleteSite.run(tenantId, siteId, expectedVersion).changes !== 1) throw new StoreConflictError('site', `${tenantId}/${siteId}`);
    stmt.deleteHostnames.run(tenantId, siteId);
  }

  return {
    putSite,
    deleteSite,
    getSite: (tenantId: string, siteId: string) => {
      const row = stmt.get.get(tenantId, siteId);
      return row ? fromRow(row) : undefined;
    },
    listSites: (tenantId: string) => stmt.list.all(tenantId).map(fromRow),
    listExpiredSites: (iso: string) => stmt.expired.all(iso).map(fromRow),
    deleteTenantSites: (tenantId: string) => stmt.deleteTenantSites.run(tenantId),
  };
}
