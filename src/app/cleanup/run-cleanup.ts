/**
 * `bbws cleanup --type safe|moderate [--dry-run]` / `POST /v1.0/cleanup` (seed 002 §Resource
 * Cleanup; docs/backups.md "Cleanup"), platform-admin only:
 * - safe: backups beyond the retention policy, temp files of killed writers (an hour old) and
 *   rotated logs older than 30 days (the runtime's listLeftoverFiles), and the tables and uploads
 *   of sites that are not live (no record, or DELETED: an expired preview whose removal did not
 *   finish) in ACTIVE tenants with no operation open (the runtime's listSiteLeftovers);
 * - aggressive: moderate, plus backups older than 1 day except the latest verified one of each
 *   scope (aggressive-backups.ts), and the tombstones of hard-deleted tenants and DELETED sites
 *   older than 1 day that no backup needs (tombstones.ts).
 * - moderate: safe, plus orphans — the runtime's databases, database users, php-fpm pools, content
 *   directories and Unix users named for a tenant that has no record, and secrets of such a
 *   tenant (or of a site with no record). Directories and secrets younger than 7 days are spared.
 * A tenant with a record, or with an operation in flight, owns its resources: they are never
 * listed. The dry run lists every item with its size and changes nothing; a real run re-checks
 * each item just before removing it, and reports what it removed and what failed.
 */
import { assertPlatformAdmin, type Principal } from '../../domain/auth.js';
import { BbwsError, errorMessage } from '../../domain/errors.js';
import { isBackupOperation } from '../../domain/operation.js';
import type { LeftoverFile, OrphanResource, SiteLeftover } from '../../ports/runtime.js';
import { engineOf, type BackupDeps } from '../backups/backup-deps.js';
import { backupsForAggressiveCleanup } from './aggressive-backups.js';
import { findTombstones, removeTombstone, tombstoneName, tombstoneReason, type Tombstone } from './tombstones.js';

export const CLEANUP_TYPES = ['safe', 'moderate', 'aggressive'] as const;
export type CleanupType = (typeof CLEANUP_TYPES)[number];
/** Seed 002: moderate cleanup removes orphans older than 7 days. */
export const ORPHAN_MIN_AGE_MS = 7 * 86_400_000;

export interface CleanupItem {
  kind: OrphanResource['kind'] | LeftoverFile['kind'] | SiteLeftover['kind'] | 'backup' | 'secret' | Tombstone['kind'];
  name: string;
  tenantId: string | null;
  bytes: number | null;
  reason: string;
}

export interface CleanupReport {
  type: CleanupType;
  dryRun: boolean;
  items: CleanupItem[];
  removed: number;
  failed: Array<{ name: string; error: string }>;
}

function parseType(value: unknown): CleanupType {
  if (!(CLEANUP_TYPES as readonly unknown[]).includes(value))
    throw new BbwsError('VALIDATION_FAILED', `type must be one of ${CLEANUP_TYPES.join(', ')}.`, { field: 'type' });
  return value as CleanupType;
}

/** Every tenant with a record, and every tenant an open operation is about (it may be creating one). */
async function liveTenants(deps: BackupDeps): Promise<Set<string>> {
  const live = new Set<string>();
  let next: string | null | undefined = null;
  do {
    const page = await deps.store.listTenants({ limit: 100, nextToken: next });
    for (const t of page.items) live.add(t.tenantId);
    next = page.nextToken;
  } while (next);
  for (const op of await deps.store.listOpenOperations()) live.add(op.tenantId);
  return live;
}

/** ACTIVE tenants with no open operation (nothing in flight creates a site in them), each with the ids of its sites not DELETED. */
async function liveSites(deps: BackupDeps): Promise<Map<string, Set<string>>> {
  const busy = new Set((await deps.store.listOpenOperations()).map((op) => op.tenantId));
  const out = new Map<string, Set<string>>();
  for (const instance of await deps.store.listInstancesByState(['ACTIVE'])) {
    if (busy.has(instance.tenantId)) continue;
    out.set(instance.tenantId, new Set((await deps.store.listSites(instance.tenantId)).filter((s) => s.status !== 'DELETED').map((s) => s.siteId)));
  }
  return out;
}

const old = (deps: BackupDeps, iso: string | null) => iso === null || deps.now() - Date.parse(iso) >= ORPHAN_MIN_AGE_MS;

/** `<env>-<tenant>-db-credentials`, `-wp-salts`, `-site-<id>-admin`: the tenant and site it is of. */
function ownerOfSecret(env: string, name: string): { tenantId: string; siteId: string | null } | null {
  const m = new RegExp(`^${env}-([a-z0-9]+)-(?:db-credentials|wp-salts|site-([a-z0-9]+)-admin)$`).exec(name);
  return m ? { tenantId: m[1]!, siteId: m[2] ?? null } : null;
}

async function secretOrphans(deps: BackupDeps, live: ReadonlySet<string>): Promise<CleanupItem[]> {
  const out: CleanupItem[] = [];
  for (const { name, updatedAt } of await deps.secrets.listAges(`${deps.env}-`)) {
    const owner = ownerOfSecret(deps.env, name);
    if (!owner || !old(deps, updatedAt)) continue;
    if (!live.has(owner.tenantId)) out.push({ kind: 'secret', name, tenantId: owner.tenantId, bytes: null, reason: 'its tenant has no record' });
    else if (owner.siteId && !(await deps.store.getSite(owner.tenantId, owner.siteId))) out.push({ kind: 'secret', name, tenantId: owner.tenantId, bytes: null, reason: `site ${owner.siteId} has no record` });
  }
  return out;
}

type PlannedItem = CleanupItem & { orphan?: OrphanResource; tombstone?: Tombstone; leftover?: LeftoverFile; siteLeftover?: SiteLeftover };

async function orphans(deps: BackupDeps, live: ReadonlySet<string>): Promise<PlannedItem[]> {
  const runtime = deps.backups.runtime;
  if (!runtime?.listOrphans) throw new BbwsError('RUNTIME_UNAVAILABLE', 'Moderate cleanup needs the runtime (bbws up).');
  const found = (await runtime.listOrphans(live)).filter((o) => old(deps, o.modifiedAt));
  return [...found.map((o) => ({ kind: o.kind, name: o.name, tenantId: o.tenantId, bytes: o.bytes, reason: 'its tenant has no record', orphan: o })), ...(await secretOrphans(deps, live))];
}

export async function runCleanup(deps: BackupDeps, principal: Principal | null, body: { type?: unknown; dryRun?: unknown }): Promise<CleanupReport> {
  if (principal) assertPlatformAdmin(principal);
  const type = parseType(body.type);
  const dryRun = body.dryRun !== false;
  const engine = engineOf(deps);
  if (!dryRun) {
    const open = (await deps.store.listOpenOperations()).filter(isBackupOperation);
    if (open.length) throw new BbwsError('OPERATION_IN_PROGRESS', 'A backup operation is running; clean up when it is done.', { operationId: open[0]!.operationId });
  }
  const pruned = await engine.prune(deps.backups.retention, { dryRun: true });
  const items: PlannedItem[] = pruned.removed.map((b) => ({ kind: 'backup', name: b.backupId, tenantId: b.tenantId, bytes: b.sizes.databaseBytes + b.sizes.filesBytes, reason: 'beyond the retention policy' }));
  const leftovers = (await deps.backups.runtime?.listLeftoverFiles?.()) ?? [];
  items.push(...leftovers.map((f) => ({ kind: f.kind, name: f.path, tenantId: null, bytes: f.bytes, reason: f.kind === 'log' ? 'a rotated log unchanged for 30 days' : 'a temp file of a killed writer, unchanged for an hour', leftover: f })));
  const siteLeftovers = (await deps.backups.runtime?.listSiteLeftovers?.(await liveSites(deps))) ?? [];
  items.push(...siteLeftovers.map((l) => ({ kind: l.kind, name: l.name, tenantId: l.tenantId, bytes: l.bytes, reason: `site ${l.siteId} has no live record (a deletion that did not finish)`, siteLeftover: l })));
  if (type !== 'safe') items.push(...(await orphans(deps, await liveTenants(deps))));
  const pruning = new Set(pruned.removed.map((b) => b.backupId));
  // Chosen among what retention keeps: the latest verified one must not be one retention removes.
  const aged = type === 'aggressive' ? backupsForAggressiveCleanup((await deps.backups.catalog.list()).filter((b) => !pruning.has(b.backupId)), deps.now()) : [];
  items.push(...aged.map((b) => ({ kind: 'backup' as const, name: b.backupId, tenantId: b.tenantId, bytes: b.sizes.databaseBytes + b.sizes.filesBytes, reason: 'older than 1 day, not the latest verified of its scope' })));
  // Needed while any backup names them (a restore of a hard-deleted tenant reads its site records).
  const tombstones = type === 'aggressive' ? await findTombstones(deps, await deps.backups.catalog.list()) : [];
  items.push(...tombstones.map((t) => ({ kind: t.kind, name: tombstoneName(t), tenantId: t.tenantId, bytes: t.bytes, reason: tombstoneReason(t, deps.now()), tombstone: t })));
  const report: CleanupReport = { type, dryRun, items: items.map(({ orphan: _o, tombstone: _t, leftover: _l, siteLeftover: _s, ...item }) => item), removed: 0, failed: [] };
  if (dryRun || items.length === 0) return report;
  if (pruned.removed.length) {
    await engine.prune(deps.backups.retention, { dryRun: false });
    report.removed += pruned.removed.length;
  }
  if (aged.length) {
    try {
      await engine.deleteBackups(aged.map((b) => b.backupId));
      report.removed += aged.length;
    } catch (err) {
      report.failed.push({ name: aged.map((b) => b.backupId).join(','), error: errorMessage(err) });
    }
  }
  // Found again just before: only a listed tombstone still one at the same version is removed.
  const stillTombstones = tombstones.length ? new Set((await findTombstones(deps, await deps.backups.catalog.list())).map((t) => JSON.stringify(t))) : new Set<string>();
  for (const item of items.filter((i) => i.kind !== 'backup')) {
    try {
      if (item.tombstone) {
        // A record changed since (created again, restored) is no tombstone any more: kept.
        if (!stillTombstones.has(JSON.stringify(item.tombstone)) || !(await removeTombstone(deps.store, item.tombstone))) continue;
      } else if (item.leftover) {
        if (!(await deps.backups.runtime!.removeLeftoverFile!(item.leftover))) continue;
      } else if (item.siteLeftover) {
        if (!(await deps.backups.runtime!.removeSiteLeftover!(item.siteLeftover, await liveSites(deps)))) continue;
      } else {
        // Read again just before each removal: a tenant created meanwhile owns what is named for it.
        const live = await liveTenants(deps);
        if (item.orphan) await deps.backups.runtime!.removeOrphan!(item.orphan, live);
        else if ((await secretOrphans(deps, live)).some((s) => s.name === item.name)) await deps.secrets.delete(item.name);
        else continue;
      }
      report.removed++;
      deps.logger.info({ action: 'CLEANUP_REMOVED', kind: item.kind, name: item.name, tenantId: item.tenantId }, `cleanup removed ${item.kind} ${item.name}`);
    } catch (err) {
      report.failed.push({ name: item.name, error: errorMessage(err) });
    }
  }
  return report;
}
