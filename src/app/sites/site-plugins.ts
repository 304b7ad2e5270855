/**
 * A site's plugins, answered synchronously (seed 001): install (201, vetted again at install time:
 * 422 with the violations), uninstall, activate/deactivate and options.
 */
import type { Principal } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import type { Site } from '../../domain/site.js';
import { wordpressOf, type SiteDeps } from './site-deps.js';
import { loadSite, siteRef, updateSite } from './site-records.js';

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

/**
 * DELETE …/sites/{siteId}/plugins/{slug}: deactivates and removes the plugin from the site (its
 * files stay while another site of the tenant uses them).
 */
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
