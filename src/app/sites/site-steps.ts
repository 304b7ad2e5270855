/**
 * The undoable steps of each site operation, built from the WordPress port.
 */
import { BbwsError } from '../../domain/errors.js';
import type { Operation } from '../../domain/operation.js';
import type { Site } from '../../domain/site.js';
import type { TemplateBlueprint } from '../../domain/template.js';
import type { RuntimeStep } from '../../ports/runtime.js';
import type { SiteRef, WordPress } from '../../ports/wordpress.js';
import { adminSecretName, type SiteDeps } from './site-deps.js';
import { siteRef } from './site-records.js';

function step(name: string, run: () => Promise<void>, undo: () => Promise<void> = async () => undefined): RuntimeStep {
  return { name, run, undo };
}

/** Installs a marketplace plugin after vetting it again (the blocklist or feed may have changed since publish). */
export function pluginStep(deps: SiteDeps, wp: WordPress, site: Site, slug: string, version: string | undefined, installed: Array<{ slug: string; version: string }>): RuntimeStep {
  return step(
    `install-plugin:${slug}`,
    async () => {
      const prepared = await deps.marketplace.prepareInstall(slug, version);
      if (!prepared.ok && !prepared.pkg && prepared.violations.length === 0) throw new BbwsError('PLUGIN_NOT_FOUND', `Plugin ${slug} is not in the marketplace; publish it with \`bbws plugins publish\`.`, { slug, version });
      if (!prepared.ok) throw new BbwsError('PLUGIN_SECURITY_VIOLATION', undefined, { slug, violations: prepared.violations });
      await wp.installPlugin(siteRef(site), slug, prepared.files);
      installed.push({ slug, version: prepared.pkg.version });
    },
    () => wp.uninstallPlugin(siteRef(site), slug),
  );
}

/** Steps that apply `template` to the site, then install each of its plugins (vetted again). */
export function templateSteps(deps: SiteDeps, wp: WordPress, site: Site, template: TemplateBlueprint, installed: Array<{ slug: string; version: string }>): RuntimeStep[] {
  return [
    step(`apply-template:${template.templateId}`, () => wp.applyTemplate(siteRef(site), template)),
    ...template.plugins.map((p) => pluginStep(deps, wp, site, p.slug, p.version, installed)),
  ];
}

/**
 * The journaled steps of a site operation (create, clone, update, apply template, delete), each
 * with its undo.
 */
export async function stepsForSiteOperation(deps: SiteDeps, wp: WordPress, op: Operation, site: Site, installed: Array<{ slug: string; version: string }>): Promise<RuntimeStep[]> {
  const ref = siteRef(site);
  const template = async () => {
    const id = (op.input.templateId as string | null | undefined) ?? null;
    if (!id) return [];
    const t = await deps.templates.get(id);
    if (!t) throw new BbwsError('TEMPLATE_NOT_FOUND', undefined, { templateId: id });
    return templateSteps(deps, wp, site, t, installed);
  };
  switch (op.type) {
    case 'CREATE_SITE':
      return [
        step('route-site', () => wp.routeSite(ref), () => wp.unrouteSite(ref)),
        step(
          'install-wordpress',
          async () => {
            const secret = await deps.secrets.get(adminSecretName(deps, site.tenantId, site.siteId));
            if (!secret) throw new Error('the admin password secret is missing');
            const { user, password } = JSON.parse(secret) as { user: string; password: string };
            await wp.installSite(ref, { title: site.title, adminUser: user, adminEmail: site.adminEmail, adminPassword: password });
          },
          () => wp.removeSite(ref),
        ),
        ...(await template()),
      ];
    case 'CLONE_SITE': {
      const source = await deps.store.getSite(site.tenantId, op.input.sourceSiteId as string);
      if (!source || source.status === 'DELETED') throw new BbwsError('SITE_NOT_FOUND', 'The source site is gone.', { siteId: op.input.sourceSiteId });
      return [
        step('clone-site', () => wp.cloneSite(siteRef(source), ref), () => wp.removeSite(ref)),
        step('route-site', () => wp.routeSite(ref), () => wp.unrouteSite(ref)),
      ];
    }
    case 'UPDATE_SITE': {
      const options: Record<string, string | number | boolean> = { ...((op.input.options as Record<string, string | number | boolean>) ?? {}) };
      if (typeof op.input.title === 'string') options.blogname = op.input.title;
      const previousHostnames = (op.input.previousHostnames as string[]) ?? site.hostnames;
      // The route step also applies the site's cache settings (and purges): the undo puts the old ones back.
      const previousCache = (op.input.previousCache as SiteRef['cache']) ?? ref.cache;
      let before: Record<string, unknown> = {};
      return [
        step(
          'set-options',
          async () => {
            before = await wp.getOptions(ref, Object.keys(options));
            if (Object.keys(options).length) await wp.setOptions(ref, options);
          },
          async () => {
            const restore = Object.fromEntries(Object.entries(before).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))) as Record<string, string | number | boolean>;
            if (Object.keys(restore).length) await wp.setOptions(ref, restore);
          },
        ),
        step(
          'route-site',
          async () => {
            const removed = previousHostnames.filter((h) => !site.hostnames.includes(h));
            if (removed.length) await wp.unrouteSite({ ...ref, hostnames: removed });
            await wp.routeSite(ref);
          },
          async () => {
            const added = site.hostnames.filter((h) => !previousHostnames.includes(h));
            if (added.length) await wp.unrouteSite({ ...ref, hostnames: added });
            await wp.routeSite({ ...ref, hostnames: previousHostnames, cache: previousCache });
          },
        ),
      ];
    }
    case 'APPLY_TEMPLATE':
      return template();
    case 'DELETE_SITE':
      return [
        step('unroute-site', () => wp.unrouteSite(ref)),
        step('remove-site', () => wp.removeSite(ref)),
        step('delete-secrets', () => deps.secrets.delete(adminSecretName(deps, site.tenantId, site.siteId))),
      ];
    default:
      throw new Error(`${op.type} is not a site operation`);
  }
}
