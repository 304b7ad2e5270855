/**
 * Orphans of the local runtime for `bbws cleanup --type moderate` (docs/backups.md "Cleanup"):
 * resources named like a tenant's (seed 003's naming) whose tenant has no record — a database
 * `<t>_db`, a database user `<t>_user`, a php-fpm pool `<env>-<t>-service`, a content directory
 * `tenants/<t>`, a Unix user `bw<instance>-<t>`, an edge route whose docroot is in `tenants/<t>/` — left by a crash, a failed undo or a hand-made
 * experiment. Databases and their users are looked for only in bbws's own MariaDB: an external
 * server (RDS-like) may hold other systems' databases. Every name goes through escape.ts before
 * it reaches SQL, a path or a command.
 */
import { lstat, readdir, readlink, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { OrphanResource } from '../../../ports/runtime.js';
import { isValidTenantId, names } from '../../../domain/naming.js';
import { safeHostname, safeTenantId, sqlIdentifier, sqlString } from './escape.js';
import { run } from './exec.js';
import { tenantUnixUser, webGroupName } from './layout.js';
import type { StepContext } from './tenant-steps.js';
import { listUsers, removeSystemUser } from './unix-users.js';

const isTenantId = (s: string | undefined): s is string => isValidTenantId(s);

async function duBytes(path: string): Promise<number | null> {
  const out = await run('du', ['-sb', path]).catch(() => null);
  return out ? Number(out.stdout.split('\t')[0]) || 0 : null;
}

async function databaseOrphans(ctx: StepContext, live: ReadonlySet<string>): Promise<OrphanResource[]> {
  if (!ctx.db.supervised) return []; // an external server is not only ours
  const out: OrphanResource[] = [];
  const sizes = await ctx.db.sql('SELECT s.SCHEMA_NAME, COALESCE(SUM(t.DATA_LENGTH + t.INDEX_LENGTH), 0) FROM information_schema.SCHEMATA s LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME GROUP BY s.SCHEMA_NAME;');
  for (const line of sizes.split('\n').filter(Boolean)) {
    const [db, bytes] = line.split('\t');
    const t = db?.endsWith('_db') ? db.slice(0, -3) : undefined;
    if (isTenantId(t) && !live.has(t)) out.push({ kind: 'database', name: db!, tenantId: t, bytes: Number(bytes) || 0, modifiedAt: null });
  }
  for (const user of (await ctx.db.sql("SELECT User FROM mysql.user WHERE Host = '%';")).split('\n').filter(Boolean)) {
    const t = user.endsWith('_user') ? user.slice(0, -5) : undefined;
    if (isTenantId(t) && !live.has(t)) out.push({ kind: 'db-user', name: user, tenantId: t, bytes: null, modifiedAt: null });
  }
  return out;
}

/** The Unix users live tenants have (long tenant ids are hashed into the name), and the edge's. */
function liveUnixUsers(ctx: StepContext, live: ReadonlySet<string>): Set<string> {
  return new Set([webGroupName(ctx.instanceId), ...[...live].filter((t) => isValidTenantId(t)).map((t) => tenantUnixUser(ctx.instanceId, t))]);
}

async function fileOrphans(ctx: StepContext, live: ReadonlySet<string>): Promise<OrphanResource[]> {
  const out: OrphanResource[] = [];
  for (const pool of await ctx.phpFpm.listPools()) {
    if (!live.has(pool.tenantId)) out.push({ kind: 'php-fpm-pool', name: pool.name, tenantId: pool.tenantId, bytes: null, modifiedAt: null });
  }
  for (const entry of await readdir(ctx.layout.tenantsDir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || !isTenantId(entry.name) || live.has(entry.name)) continue;
    const path = join(ctx.layout.tenantsDir, entry.name);
    const st = await stat(path);
    out.push({ kind: 'directory', name: path, tenantId: entry.name, bytes: await duBytes(path), modifiedAt: st.mtime.toISOString() });
  }
  if (ctx.isRoot) {
    const liveUsers = liveUnixUsers(ctx, live);
    for (const user of await listUsers(`bw${ctx.instanceId}-`)) {
      if (liveUsers.has(user)) continue;
      const part = user.slice(`bw${ctx.instanceId}-`.length);
      out.push({ kind: 'unix-user', name: user, tenantId: isTenantId(part) ? part : null, bytes: null, modifiedAt: null });
    }
  }
  return out;
}

/** The tenant whose tree a route's docroot is in (`<tenantsDir>/<t>/…`), from the route link itself. */
async function routeTenant(ctx: StepContext, hostname: string): Promise<{ tenantId: string; docroot: string } | null> {
  const docroot = await readlink(join(ctx.layout.edgeRoutes, hostname)).catch(() => null);
  if (!docroot?.startsWith(`${ctx.layout.tenantsDir}/`)) return null;
  const t = docroot.slice(ctx.layout.tenantsDir.length + 1).split('/')[0];
  return isTenantId(t) ? { tenantId: t, docroot } : null;
}

/** Routes of the edge into the tree of a tenant not in `live` (they answer 404 once the tree is gone). */
async function routeOrphans(ctx: StepContext, live: ReadonlySet<string>): Promise<OrphanResource[]> {
  const out: OrphanResource[] = [];
  for (const hostname of await readdir(ctx.layout.edgeRoutes).catch(() => [] as string[])) {
    const owner = await routeTenant(ctx, hostname);
    if (!owner || live.has(owner.tenantId)) continue;
    const st = await lstat(join(ctx.layout.edgeRoutes, hostname));
    out.push({ kind: 'route', name: hostname, tenantId: owner.tenantId, bytes: null, modifiedAt: st.mtime.toISOString() });
  }
  return out;
}

/** Everything of the runtime named for a tenant not in `live`. */
export async function listOrphans(ctx: StepContext, live: ReadonlySet<string>): Promise<OrphanResource[]> {
  return [...(await databaseOrphans(ctx, live)), ...(await fileOrphans(ctx, live)), ...(await routeOrphans(ctx, live))];
}

/** Whether `orphan` still has no tenant in `live` (cheap: no second listing). */
function stillOrphan(ctx: StepContext, orphan: OrphanResource, live: ReadonlySet<string>): boolean {
  if (orphan.kind === 'unix-user') return !liveUnixUsers(ctx, live).has(orphan.name);
  return orphan.tenantId !== null && !live.has(orphan.tenantId);
}

/** Removes one orphan listed by {@link listOrphans}; `live` is re-read by the caller just before. Idempotent. */
export async function removeOrphan(ctx: StepContext, orphan: OrphanResource, live: ReadonlySet<string>): Promise<void> {
  if (!stillOrphan(ctx, orphan, live)) return; // it belongs to a tenant now
  if (orphan.kind === 'unix-user') {
    if (orphan.name.startsWith(`bw${ctx.instanceId}-`)) await removeSystemUser(orphan.name);
    return;
  }
  if (orphan.kind === 'route') {
    // The link is read again: only a route still into that tenant's tree is removed.
    const owner = await routeTenant(ctx, safeHostname(orphan.name));
    if (owner && owner.tenantId === orphan.tenantId) await ctx.edge.removeRoute(orphan.name, owner.docroot);
    return;
  }
  // Every other name is rebuilt from the checked tenant id, never taken as given.
  const t = safeTenantId(orphan.tenantId);
  if (orphan.kind === 'database') await ctx.db.sql(`DROP DATABASE IF EXISTS ${sqlIdentifier(names.databaseName(t))};`);
  else if (orphan.kind === 'db-user') await ctx.db.sql(`DROP USER IF EXISTS ${sqlString(names.databaseUser(t))}@'%';`);
  else if (orphan.kind === 'php-fpm-pool') await ctx.phpFpm.removePool(names.serviceName(ctx.config.env, t));
  else if (orphan.kind === 'directory') await rm(join(ctx.layout.tenantsDir, t), { recursive: true, force: true });
}
