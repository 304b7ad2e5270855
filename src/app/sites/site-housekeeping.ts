/**
 * Site housekeeping run by the reconciler role: removes template previews past their expiry, and
 * runs WP-Cron for every active site (sites have DISABLE_WP_CRON: the platform is their clock).
 */
import { deleteSite } from './site-commands.js';
import type { SiteDeps } from './site-deps.js';
import { siteRef } from './site-records.js';

/** Enqueues the deletion of expired previews. Returns their ids. */
export async function removeExpiredPreviews(deps: SiteDeps): Promise<string[]> {
  const removed: string[] = [];
  for (const site of await deps.store.listExpiredSites(new Date(deps.now()).toISOString())) {
    try {
      await deleteSite(deps, null, site.tenantId, site.siteId, null);
      removed.push(site.siteId);
    } catch (err) {
      // Busy with another operation, or deleted meanwhile: look again on the next pass.
      deps.logger.warn({ tenantId: site.tenantId, siteId: site.siteId, action: 'EXPIRE_PREVIEW', err: (err as Error).message }, 'preview not removed yet');
    }
  }
  return removed;
}

/**
 * Hands the marketplace's blocklist (operator blocklist and vulnerability feed) to WordPress, where
 * the must-use plugin refuses to activate blocked plugins however they reached the disk.
 */
export async function syncPluginBlocklist(deps: SiteDeps): Promise<void> {
  if (!deps.wordpress) return;
  await deps.wordpress.enforceBlocklist(await deps.marketplace.blocklist());
}

/** Runs due WP-Cron events of every ACTIVE site of every ACTIVE tenant, a few at a time. */
export async function runSiteCron(deps: SiteDeps, concurrency = 4): Promise<number> {
  if (!deps.wordpress) return 0;
  const wp = deps.wordpress;
  const sites = [];
  let next: string | null = null;
  do {
    const page = await deps.store.listTenants({ limit: 100, nextToken: next });
    for (const t of page.items) {
      const instance = await deps.store.getInstance(t.tenantId);
      if (instance?.provisioningState !== 'ACTIVE') continue;
      sites.push(...(await deps.store.listSites(t.tenantId)).filter((s) => s.status === 'ACTIVE'));
    }
    next = page.nextToken;
  } while (next);
  let ran = 0;
  for (let i = 0; i < sites.length; i += concurrency) {
    await Promise.all(
      sites.slice(i, i + concurrency).map(async (site) => {
        try {
          await wp.runCron(siteRef(site));
          ran++;
        } catch (err) {
          deps.logger.warn({ tenantId: site.tenantId, siteId: site.siteId, action: 'WP_CRON', status: 'FAILED', err: (err as Error).message }, 'wp-cron failed');
        }
      }),
    );
  }
  return ran;
}
