/**
 * Promote (seed 001, answered synchronously with 200): copies a staging site over its production
 * site with a backup of the target first, and the undo that restores that backup. The
 * notification is committed with the target's record (the outbox).
 */
import type { Principal } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import type { PromoteScope } from '../../ports/wordpress.js';
import { wordpressOf, type SiteDeps } from './site-deps.js';
import { assertNoSiteOperation, loadSite, siteNotification, siteRef, siteView, updateSite } from './site-records.js';

const SCOPES: readonly PromoteScope[] = ['database', 'uploads', 'themes', 'plugins'];

/**
 * The parts a promote copies: a non-empty list of database, uploads, themes and plugins; all of
 * them when absent.
 */
export function parseScope(value: unknown): PromoteScope[] {
  if (value === undefined) return [...SCOPES];
  if (!Array.isArray(value) || value.length === 0 || value.some((s) => !SCOPES.includes(s))) {
    throw new BbwsError('VALIDATION_FAILED', `scope must be a non-empty list of ${SCOPES.join(', ')}.`, { field: 'scope' });
  }
  return [...new Set(value as PromoteScope[])];
}

/** POST …/sites/{siteId}/promote {targetSiteId, scope}: `siteId` (staging) over the target, backup first. */
export async function promoteSite(deps: SiteDeps, principal: Principal, tenantId: string, sourceSiteId: string, body: { targetSiteId: unknown; scope?: unknown }) {
  const source = await loadSite(deps, principal, tenantId, sourceSiteId);
  if (typeof body.targetSiteId !== 'string') throw new BbwsError('VALIDATION_FAILED', 'targetSiteId is required.', { field: 'targetSiteId' });
  if (body.targetSiteId === sourceSiteId) throw new BbwsError('VALIDATION_FAILED', 'A site cannot be promoted over itself.', { field: 'targetSiteId' });
  const target = await loadSite(deps, principal, tenantId, body.targetSiteId);
  const scope = parseScope(body.scope);
  for (const s of [source, target]) if (s.status !== 'ACTIVE') throw new BbwsError('INVALID_STATE', `Site ${s.siteId} is ${s.status}; both sites must be ACTIVE.`, { siteId: s.siteId, status: s.status });
  await assertNoSiteOperation(deps, tenantId, source.siteId);
  await assertNoSiteOperation(deps, tenantId, target.siteId);
  const wp = wordpressOf(deps);
  // Backups of the target other than the recorded one are a killed promote's scratch: removed first.
  const backupId = await wp.backupSite(siteRef(target), { keep: target.promoteBackupId ?? null });
  try {
    await wp.promoteSite(siteRef(source), siteRef(target), scope);
  } catch (err) {
    await wp.restoreSite(siteRef(target), backupId);
    await wp.deleteBackup(siteRef(target), backupId);
    throw new BbwsError('RUNTIME_FAILURE', `Promote failed and the target was restored from its backup: ${(err as Error).message}`, { targetSiteId: target.siteId });
  }
  const previousBackup = target.promoteBackupId;
  // The notification is committed with the record (the outbox): it cannot be lost to a crash in between.
  const promoted = await updateSite(deps, tenantId, target.siteId, () => ({
    patch: { promoteBackupId: backupId, plugins: scope.includes('plugins') ? source.plugins : target.plugins },
    writes: (next) => [siteNotification(deps, 'site.promoted', next, { sourceSiteId, scope, site: siteView(deps, next) })],
  }));
  if (previousBackup) await wp.deleteBackup(siteRef(target), previousBackup).catch(() => undefined);
  deps.logger.info({ tenantId, siteId: target.siteId, action: 'PROMOTE_SITE', status: 'OK', sourceSiteId, scope, backupId }, 'site promoted');
  return { site: siteView(deps, promoted!) };
}

/** POST …/sites/{siteId}/promote/undo: restores the backup taken before the last promote over `siteId`. */
export async function undoPromote(deps: SiteDeps, principal: Principal, tenantId: string, siteId: string) {
  const site = await loadSite(deps, principal, tenantId, siteId);
  if (!site.promoteBackupId) throw new BbwsError('INVALID_STATE', 'There is no promote to undo on this site (undo applies to the promote target).', { siteId });
  await assertNoSiteOperation(deps, tenantId, siteId);
  const wp = wordpressOf(deps);
  await wp.restoreSite(siteRef(site), site.promoteBackupId!);
  await wp.deleteBackup(siteRef(site), site.promoteBackupId).catch(() => undefined);
  const restored = await updateSite(deps, tenantId, siteId, () => ({ patch: { promoteBackupId: null } }));
  deps.logger.info({ tenantId, siteId, action: 'UNDO_PROMOTE', status: 'OK' }, 'promote undone');
  return { site: siteView(deps, restored!) };
}
