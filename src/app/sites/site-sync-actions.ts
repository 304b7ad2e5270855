/**
 * Site actions answered synchronously (seed 001): promote (200 with the promoted site) and its
 * undo, and plugin install (201) / uninstall / activate, which vet again at install time.
 */
import type { Principal } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import type { Site } from '../../domain/site.js';
import type { PromoteScope } from '../../ports/wordpress.js';
import { isoNow } from '../deps.js';
import { wordpressOf, type SiteDeps } from './site-deps.js';
import { assertNoSiteOperation, loadSite, siteNotification, siteRef, siteView, updateSite } from './site-records.js';

const SCOPES: readonly PromoteScope[] = ['database', 'uploads', 'themes', 'plugins'];

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

function assertActive(site: Site): void {
  if (site.status !== 'ACTIVE') throw new BbwsError('INVALID_STATE', `The site is ${site.status}.`, { status: site.status });
}

/** POST …/sites/{siteId}/plugins {slug, version?} → 201 installed and active, or 422 with the violations. */
export async function installPlugin(deps: SiteDeps, principal: Principal, tenantId: string, siteId: string, slug: string, version?: string) {
  const site = await loadSite(deps, principal, tenantId, siteId);
  assertActive(site);
  const prepared = await deps.marketplace.prepareInstall(slug, version);
  if (!prepared.ok) {
    if (!prepared.pkg && prepared.violations.length === 0) throw new BbwsError('PLUGIN_NOT_FOUND', undefined, { slug, version });
    deps.logger.warn({ tenantId, siteId, action: 'INSTALL_PLUGIN', status: 'REJECTED', errorCode: 'PLUGIN_SECURITY_VIOLATION', slug, violations: prepared.violations }, 'plugin refused by vetting');
    throw new BbwsError('PLUGIN_SECURITY_VIOLATION', undefined, { slug, version: prepared.pkg?.version ?? version ?? null, violations: prepared.violations });
  }
  const wp = wordpressOf(deps);
  await wp.installPlugin(siteRef(site), slug, prepared.files);
  const entry = { slug, version: prepared.pkg.version, active: true };
  await updateSite(deps, tenantId, siteId, (cur) => ({ patch: { plugins: [...cur.plugins.filter((p) => p.slug !== slug), entry] } }));
  return { ...entry, name: prepared.pkg.name, vetting: prepared.pkg.vetting };
}

export async function uninstallPlugin(deps: SiteDeps, principal: Principal, tenantId: string, siteId: string, slug: string) {
  const site = await loadSite(deps, principal, tenantId, siteId);
  if (!site.plugins.some((p) => p.slug === slug)) throw new BbwsError('PLUGIN_NOT_FOUND', undefined, { slug });
  await wordpressOf(deps).uninstallPlugin(siteRef(site), slug);
  await updateSite(deps, tenantId, siteId, (cur) => ({ patch: { plugins: cur.plugins.filter((p) => p.slug !== slug) } }));
}

/** PATCH …/plugins/{slug} {active?, options?}: options must be namespaced by the plugin (`<slug_>…`). */
export async function configurePlugin(deps: SiteDeps, principal: Principal, tenantId: string, siteId: string, slug: string, body: { active?: unknown; options?: unknown }) {
  const site = await loadSite(deps, principal, tenantId, siteId);
  assertActive(site);
  const entry = site.plugins.find((p) => p.slug === slug);
  if (!entry) throw new BbwsError('PLUGIN_NOT_FOUND', undefined, { slug });
  const prefix = `${slug.replace(/-/g, '_')}_`;
  const options: Record<string, string | number | boolean> = {};
  if (body.options !== undefined) {
    if (typeof body.options !== 'object' || body.options === null || Array.isArray(body.options)) throw new BbwsError('VALIDATION_FAILED', 'options must be an object.', { field: 'options' });
    for (const [k, v] of Object.entries(body.options)) {
      if (!k.startsWith(prefix) || !/^[a-z0-9_]{1,64}$/.test(k)) throw new BbwsError('VALIDATION_FAILED', `Only the plugin's own options (${prefix}…) may be set.`, { field: `options.${k}` });
      if (!['string', 'number', 'boolean'].includes(typeof v) || (typeof v === 'string' && v.length > 1000)) throw new BbwsError('VALIDATION_FAILED', `options.${k} must be a short string, number or boolean.`, { field: `options.${k}` });
      options[k] = v as string | number | boolean;
    }
  }
  if (body.active !== undefined && typeof body.active !== 'boolean') throw new BbwsError('VALIDATION_FAILED', 'active must be true or false.', { field: 'active' });
  const wp = wordpressOf(deps);
  if (typeof body.active === 'boolean' && body.active !== entry.active) {
    if (body.active) {
      const prepared = await deps.marketplace.prepareInstall(slug, entry.version);
      if (!prepared.ok) throw new BbwsError('PLUGIN_SECURITY_VIOLATION', undefined, { slug, violations: prepared.violations });
    }
    await wp.setPluginActive(siteRef(site), slug, body.active as boolean);
  }
  if (Object.keys(options).length) await wp.setOptions(siteRef(site), options);
  const active = typeof body.active === 'boolean' ? body.active : entry.active;
  await updateSite(deps, tenantId, siteId, (cur) => ({ patch: { plugins: cur.plugins.map((p) => (p.slug === slug ? { ...p, active } : p)) } }));
  return { slug, version: entry.version, active };
}
