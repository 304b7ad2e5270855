/**
 * What a site leaves in its tenant when its deletion did not finish (an expired preview whose
 * removal was killed, a hand-dropped record): its tables `s<site>_*` in the tenant's database and
 * its uploads `content/uploads/sites/<site>`, for a site that is not live — no record, or a
 * DELETED one — in a tenant that is (`bbws cleanup --type safe`, seed 002 "leftovers of expired
 * previews"). The caller says which sites are live; everything is checked again just before it is
 * removed. The uploads are the tenant's own tree, so they are removed by the tenant's own Unix user:
 * a link the tenant planted there can make that remove nothing but what the tenant could remove itself.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { names } from '../../../domain/naming.js';
import { isValidSiteId, tablePrefix } from '../../../domain/site.js';
import type { SiteLeftover } from '../../../ports/runtime.js';
import { safeTenantId, sqlIdentifier, sqlString } from './escape.js';
import { run } from './exec.js';
import { tenantPaths, tenantUnixUser } from './layout.js';
import type { StepContext } from './tenant-steps.js';
import { lookupUser } from './unix-users.js';

/** Tenant → the ids of its live sites; only these tenants are looked in. */
export type LiveSites = ReadonlyMap<string, ReadonlySet<string>>;

const SITE_TABLE = /^s([a-z0-9]+)_/;

async function siteTables(ctx: StepContext, tenantId: string): Promise<Map<string, { tables: string[]; bytes: number }>> {
  const db = names.databaseName(safeTenantId(tenantId));
  const out = new Map<string, { tables: string[]; bytes: number }>();
  const rows = await ctx.db.sql(`SELECT TABLE_NAME, COALESCE(DATA_LENGTH + INDEX_LENGTH, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${sqlString(db)};`);
  for (const line of rows.split('\n').filter(Boolean)) {
    const [table, bytes] = line.split('\t');
    const id = SITE_TABLE.exec(table ?? '')?.[1];
    if (!table || !id || !isValidSiteId(id) || !table.startsWith(tablePrefix(id))) continue;
    const entry = out.get(id) ?? { tables: [], bytes: 0 };
    entry.tables.push(table);
    entry.bytes += Number(bytes) || 0;
    out.set(id, entry);
  }
  return out;
}

const uploadsRoot = (ctx: StepContext, tenantId: string) => join(tenantPaths(ctx.layout, tenantId).content, 'uploads', 'sites');

export async function listSiteLeftovers(ctx: StepContext, live: LiveSites): Promise<SiteLeftover[]> {
  const out: SiteLeftover[] = [];
  for (const [tenantId, sites] of live) {
    if (ctx.db.supervised) {
      for (const [siteId, { bytes }] of await siteTables(ctx, tenantId)) {
        if (!sites.has(siteId)) out.push({ kind: 'site-tables', tenantId, siteId, name: `${names.databaseName(tenantId)}.${tablePrefix(siteId)}*`, bytes });
      }
    }
    for (const siteId of await readdir(uploadsRoot(ctx, tenantId)).catch(() => [] as string[])) {
      if (isValidSiteId(siteId) && !sites.has(siteId)) out.push({ kind: 'site-uploads', tenantId, siteId, name: join(uploadsRoot(ctx, tenantId), siteId), bytes: null });
    }
  }
  return out;
}

/** Removes one leftover if its site is still not live (the caller re-reads `live` just before). */
export async function removeSiteLeftover(ctx: StepContext, item: SiteLeftover, live: LiveSites): Promise<boolean> {
  const t = safeTenantId(item.tenantId);
  const sites = live.get(t);
  if (!sites || sites.has(item.siteId) || !isValidSiteId(item.siteId)) return false;
  if (item.kind === 'site-tables') {
    const tables = (await siteTables(ctx, t)).get(item.siteId)?.tables ?? [];
    if (!tables.length) return false;
    const db = sqlIdentifier(names.databaseName(t));
    await ctx.db.sql(`SET SESSION foreign_key_checks = 0; DROP TABLE IF EXISTS ${tables.map((x) => `${db}.${sqlIdentifier(x)}`).join(', ')};`);
    return true;
  }
  const owner = await lookupUser(tenantUnixUser(ctx.instanceId, t));
  if (!owner && ctx.isRoot) return false; // no tenant user to act as: leave it
  // Rebuilt from the checked ids, and removed as the tenant: never more than the tenant may remove.
  await run('rm', ['-rf', '--', join(uploadsRoot(ctx, t), item.siteId)], owner ? { uid: owner.uid, gid: owner.gid } : {});
  return true;
}
