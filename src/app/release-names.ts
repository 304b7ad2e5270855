/**
 * A hard-deleted tenant frees its names: the instance's host names, its sites' (the sites are
 * marked DELETED: their data went with the hard delete) and its custom-domain claims, so another
 * tenant may use them. A soft-deleted tenant keeps all of them: it can be created again as it was.
 */
import type { Operation } from '../domain/operation.js';
import type { Write } from '../ports/store.js';
import { type AppDeps, isoNow } from './deps.js';
import { updateInstance } from './update-record.js';

/** True for a tenant delete with `mode=hard` (everything removed, names released). */
export function isHardDelete(op: Operation): boolean {
  return op.type === 'DELETE_TENANT' && op.input.mode === 'hard';
}

/** Called once a hard delete has SUCCEEDED. Safe to call again. */
export async function releaseTenantNames(deps: AppDeps, tenantId: string): Promise<void> {
  const sites = (await deps.store.listSites(tenantId)).filter((s) => s.status !== 'DELETED');
  const now = isoNow(deps);
  await updateInstance(deps, tenantId, (cur) => {
    if (cur.provisioningState !== 'DEPROVISIONED') return undefined; // created again meanwhile
    const writes: Write[] = sites.map((site) => ({ kind: 'putSite', site: { ...site, status: 'DELETED', updatedAt: now, version: site.version + 1 }, expectedVersion: site.version }));
    if (cur.spec.hostnames.length === 0 && writes.length === 0) return undefined;
    return { patch: { spec: { ...cur.spec, hostnames: [] } }, writes };
  });
  await deps.domains.releaseTenant(tenantId);
  deps.logger.info({ tenantId, action: 'RELEASE_NAMES', status: 'OK', sites: sites.length }, 'hard-deleted tenant: host names and domains released');
}
