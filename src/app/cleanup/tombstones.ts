/**
 * The tombstones `bbws cleanup --type aggressive` removes (seed 002 §Resource Cleanup;
 * docs/backups.md "Cleanup"): records left of things that are gone.
 * - a hard-deleted tenant (instance DEPROVISIONED by a SUCCEEDED `DELETE_TENANT mode=hard`): its
 *   tenant, instance and site records. A soft-deleted tenant is not a tombstone: its data is kept
 *   and it can be created again as it was;
 * - a site record DELETED, of any tenant.
 * Only when older than a day (the seed's age for aggressive cleanup; the time it became
 * DEPROVISIONED or DELETED), never while an operation of its tenant is open, and never while the
 * backup catalog still names it: `bbws restore ID --to-tenant` of a hard-deleted tenant's backup
 * takes each site's title, admin e-mail, environment, template and plugins from its record, so a
 * tombstone goes with the last backup that needs it. Operations outlive both (their history).
 */
import type { BackupRecord } from '../../domain/backup.js';
import type { Site } from '../../domain/site.js';
import type { Instance } from '../../domain/tenant.js';
import { StoreConflictError, type Store } from '../../ports/store.js';
import { AGGRESSIVE_BACKUP_MIN_AGE_MS } from './aggressive-backups.js';

export const TOMBSTONE_MIN_AGE_MS = AGGRESSIVE_BACKUP_MIN_AGE_MS;
const DAY_MS = 86_400_000;

export type Tombstone =
  | { kind: 'tenant-record'; tenantId: string; instanceVersion: number; since: string; bytes: number; sites: number }
  | { kind: 'site-record'; tenantId: string; siteId: string; version: number; since: string; bytes: number };

export interface TombstoneDeps {
  store: Store;
  now: () => number;
}

async function allTenantIds(store: Store): Promise<string[]> {
  const ids: string[] = [];
  let next: string | null | undefined = null;
  do {
    const page = await store.listTenants({ limit: 100, nextToken: next });
    ids.push(...page.items.map((t) => t.tenantId));
    next = page.nextToken;
  } while (next);
  return ids;
}

async function isHardDeleted(store: Store, instance: Instance | undefined): Promise<boolean> {
  if (instance?.provisioningState !== 'DEPROVISIONED') return false;
  const lastDelete = (await store.listOperations(instance.tenantId, 100)).find((o) => o.type === 'DELETE_TENANT' && o.status === 'SUCCEEDED');
  return lastDelete?.input.mode === 'hard';
}

const bytesOf = (...records: unknown[]) => records.reduce<number>((n, r) => n + (r === undefined ? 0 : Buffer.byteLength(JSON.stringify(r))), 0);

/** Every tombstone aggressive cleanup may remove now, against the catalog's `backups`. */
export async function findTombstones(deps: TombstoneDeps, backups: readonly BackupRecord[]): Promise<Tombstone[]> {
  const now = deps.now();
  const old = (iso: string) => now - Date.parse(iso) >= TOMBSTONE_MIN_AGE_MS;
  const backedUpTenants = new Set(backups.map((b) => b.tenantId));
  const backedUpSites = new Set(backups.flatMap((b) => [...(b.siteId ? [`${b.tenantId}/${b.siteId}`] : []), ...b.sites.map((s) => `${b.tenantId}/${s.siteId}`)]));
  const busy = new Set((await deps.store.listOpenOperations()).map((o) => o.tenantId));
  const out: Tombstone[] = [];
  for (const tenantId of await allTenantIds(deps.store)) {
    if (busy.has(tenantId)) continue;
    const found = await deps.store.getTenantWithInstance(tenantId);
    if (!found) continue;
    const sites = await deps.store.listSites(tenantId);
    const { tenant, instance } = found;
    if (instance && (await isHardDeleted(deps.store, instance))) {
      if (old(instance.updatedAt) && !backedUpTenants.has(tenantId))
        out.push({ kind: 'tenant-record', tenantId, instanceVersion: instance.version, since: instance.updatedAt, bytes: bytesOf(tenant, instance, ...sites), sites: sites.length });
      continue; // its sites go with it, or stay with it
    }
    for (const site of sites.filter((s: Site) => s.status === 'DELETED' && old(s.updatedAt) && !backedUpSites.has(`${tenantId}/${s.siteId}`)))
      out.push({ kind: 'site-record', tenantId, siteId: site.siteId, version: site.version, since: site.updatedAt, bytes: bytesOf(site) });
  }
  return out;
}

export function tombstoneName(t: Tombstone): string {
  return t.kind === 'tenant-record' ? t.tenantId : `${t.tenantId}/${t.siteId}`;
}

export function tombstoneReason(t: Tombstone, now: number): string {
  const days = Math.floor((now - Date.parse(t.since)) / DAY_MS);
  return t.kind === 'tenant-record'
    ? `tenant hard-deleted ${days} d ago (${t.sites} site record(s) with it), no backup left that needs it`
    : `site DELETED ${days} d ago, no backup left that needs it`;
}

/**
 * Removes one, at the version it was found at. False when the record changed since (created
 * again, restored): it is no tombstone any more and stays.
 */
export async function removeTombstone(store: Store, t: Tombstone): Promise<boolean> {
  try {
    await store.commit([
      t.kind === 'tenant-record'
        ? { kind: 'deleteTenant', tenantId: t.tenantId, expectedInstanceVersion: t.instanceVersion }
        : { kind: 'deleteSite', tenantId: t.tenantId, siteId: t.siteId, expectedVersion: t.version },
    ]);
    return true;
  } catch (err) {
    if (err instanceof StoreConflictError) return false;
    throw err;
  }
}
