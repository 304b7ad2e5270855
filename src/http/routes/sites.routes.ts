/**
 * /v1.0/tenants/{tenantId}/sites (seed 001): create 202, list, get, update 202, delete 202,
 * clone 202, promote 200 (+ undo), template apply 202, plugins install 201 / uninstall / configure.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { cloneSite } from '../../app/sites/clone-site.js';
import { applyTemplate, createSite, deleteSite, updateSiteSettings } from '../../app/sites/site-commands.js';
import { loadSite, siteViewInTenant } from '../../app/sites/site-records.js';
import { promoteSite, undoPromote } from '../../app/sites/promote-site.js';
import { purgeSiteCache } from '../../app/sites/purge-site-cache.js';
import { configurePlugin, installPlugin, uninstallPlugin } from '../../app/sites/site-plugins.js';
import { assertTenantAccess } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { CachePurged, InstalledPlugin, NoContent, SiteAccepted, SiteList, SiteResult, SiteView, TenantPlugins } from '../response-schemas.js';
import { ErrorBody } from '../schemas.js';

const strict = { additionalProperties: false } as const;
const Params = Type.Object({ tenantId: Type.String({ maxLength: 64 }) }, strict);
const SiteParams = Type.Object({ tenantId: Type.String({ maxLength: 64 }), siteId: Type.String({ maxLength: 64 }) }, strict);
const PluginParams = Type.Object({ tenantId: Type.String({ maxLength: 64 }), siteId: Type.String({ maxLength: 64 }), slug: Type.String({ maxLength: 64 }) }, strict);
const Hostnames = Type.Array(Type.String({ maxLength: 253 }), { maxItems: 10 });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

const CreateSiteBody = Type.Object(
  {
    siteName: Type.String({ maxLength: 64 }),
    title: Type.String({ maxLength: 200 }),
    adminEmail: Type.String({ maxLength: 254 }),
    hostnames: Type.Optional(Hostnames),
    templateId: Type.Optional(Type.String({ maxLength: 64 })),
    environment: Type.Optional(Type.Union([Type.Literal('production'), Type.Literal('staging')])),
  },
  strict,
);
// cache is checked by the domain (parseCacheSettings), so a bad value is a VALIDATION_FAILED naming its field.
const CacheSettings = Type.Unknown({ description: '{"enabled": boolean, "ttlSeconds": 1..604800}, either or both' });
const UpdateSiteBody = Type.Object(
  { title: Type.Optional(Type.String({ maxLength: 200 })), hostnames: Type.Optional(Hostnames), options: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))), cache: Type.Optional(CacheSettings) },
  strict,
);
const PurgeBody = Type.Object({ url: Type.Optional(Type.String({ maxLength: 2048, description: 'a path (/blog/) or a URL of the site; absent: every page' })) }, strict);
const CloneBody = Type.Object({ siteName: Type.String({ maxLength: 64 }), hostnames: Type.Optional(Hostnames), environment: Type.Optional(Type.Union([Type.Literal('production'), Type.Literal('staging')])) }, strict);
const PromoteBody = Type.Object(
  { targetSiteId: Type.String({ maxLength: 64 }), scope: Type.Optional(Type.Array(Type.Union(['database', 'uploads', 'themes', 'plugins'].map((s) => Type.Literal(s))), { minItems: 1, maxItems: 4 })) },
  strict,
);
const TemplateBody = Type.Object({ templateId: Type.String({ maxLength: 64 }) }, strict);
const InstallPluginBody = Type.Object({ slug: Type.String({ maxLength: 64 }), version: Type.Optional(Type.String({ maxLength: 32 })) }, strict);
const ConfigurePluginBody = Type.Object({ active: Type.Optional(Type.Boolean()), options: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))) }, strict);

const SiteCreatedBody = Type.Object({
  siteId: Type.String(),
  operationId: Type.String(),
  status: Type.String(),
  url: Type.String(),
  adminUser: Type.String(),
  adminPassword: Type.Union([Type.String(), Type.Null()], { description: 'Shown once: null in an Idempotency-Key replay.' }),
  adminPasswordShown: Type.Optional(Type.Boolean({ description: 'true in a replay: the password was shown in the first answer and is not stored.' })),
});

type P = { tenantId: string; siteId: string };

export function registerSiteRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const base = '/v1.0/tenants/:tenantId/sites';

  app.post<{ Params: { tenantId: string }; Body: Record<string, unknown> }>(base, { config: { secretFields: ['adminPassword'] }, schema: { tags: ['sites'], summary: 'Create a site (async); the admin password is shown once', params: Params, body: CreateSiteBody, response: { 202: SiteCreatedBody, ...errors } } }, async (request, reply) =>
    reply.code(202).send(await createSite(deps, principalOf(request), request.params.tenantId, request.body as never, request.id)),
  );

  app.get<{ Params: { tenantId: string } }>(base, { schema: { tags: ['sites'], summary: "A tenant's sites", params: Params, response: { 200: SiteList, ...errors } } }, async (request) => {
    assertTenantAccess(principalOf(request), request.params.tenantId);
    if (!(await deps.store.getTenant(request.params.tenantId))) throw new BbwsError('TENANT_NOT_FOUND', undefined, { tenantId: request.params.tenantId });
    const sites = (await deps.store.listSites(request.params.tenantId)).filter((s) => s.status !== 'DELETED');
    const state = (await deps.store.getInstance(request.params.tenantId))?.provisioningState;
    return { sites: sites.map((s) => siteViewInTenant(deps, s, state)) };
  });

  app.get<{ Params: P }>(`${base}/:siteId`, { schema: { tags: ['sites'], summary: 'Get a site', params: SiteParams, response: { 200: SiteView, ...errors } } }, async (request) => {
    const site = await loadSite(deps, principalOf(request), request.params.tenantId, request.params.siteId);
    return siteViewInTenant(deps, site, (await deps.store.getInstance(site.tenantId))?.provisioningState);
  });

  app.patch<{ Params: P; Body: Record<string, unknown> }>(`${base}/:siteId`, { schema: { tags: ['sites'], summary: 'Change title, host names, allowlisted options or cache settings (async)', params: SiteParams, body: UpdateSiteBody, response: { 202: SiteAccepted, ...errors } } }, async (request, reply) =>
    reply.code(202).send(await updateSiteSettings(deps, principalOf(request), request.params.tenantId, request.params.siteId, request.body, request.id)),
  );

  app.post<{ Params: P; Body: { url?: string } }>(`${base}/:siteId/cache/purge`, { schema: { tags: ['sites'], summary: "Purge the site's pages from the edge's page cache (all, or one URL)", params: SiteParams, body: Type.Optional(PurgeBody), response: { 200: CachePurged, ...errors } } }, async (request) =>
    purgeSiteCache(deps, principalOf(request), request.params.tenantId, request.params.siteId, request.body ?? {}),
  );

  app.delete<{ Params: P }>(`${base}/:siteId`, { schema: { tags: ['sites'], summary: 'Delete a site: tables, files, route and secrets (async)', params: SiteParams, response: { 202: SiteAccepted, ...errors } } }, async (request, reply) =>
    reply.code(202).send(await deleteSite(deps, principalOf(request), request.params.tenantId, request.params.siteId, request.id)),
  );

  app.post<{ Params: P; Body: Record<string, unknown> }>(`${base}/:siteId/clone`, { schema: { tags: ['sites'], summary: 'Clone a site: database and content copied, URLs rewritten (async)', params: SiteParams, body: CloneBody, response: { 202: SiteAccepted, ...errors } } }, async (request, reply) =>
    reply.code(202).send(await cloneSite(deps, principalOf(request), request.params.tenantId, request.params.siteId, request.body as never, request.id)),
  );

  app.post<{ Params: P; Body: Record<string, unknown> }>(`${base}/:siteId/promote`, { schema: { tags: ['sites'], summary: 'Promote this site over targetSiteId, with a backup of the target first', params: SiteParams, body: PromoteBody, response: { 200: SiteResult, ...errors } } }, async (request) =>
    promoteSite(deps, principalOf(request), request.params.tenantId, request.params.siteId, request.body as never),
  );

  app.post<{ Params: P }>(`${base}/:siteId/promote/undo`, { schema: { tags: ['sites'], summary: 'Restore the backup taken before the last promote over this site', params: SiteParams, response: { 200: SiteResult, ...errors } } }, async (request) =>
    undoPromote(deps, principalOf(request), request.params.tenantId, request.params.siteId),
  );

  app.post<{ Params: P; Body: { templateId: string } }>(`${base}/:siteId/template`, { schema: { tags: ['templates'], summary: 'Apply a template (async)', params: SiteParams, body: TemplateBody, response: { 202: SiteAccepted, ...errors } } }, async (request, reply) =>
    reply.code(202).send(await applyTemplate(deps, principalOf(request), request.params.tenantId, request.params.siteId, request.body.templateId, request.id)),
  );

  app.post<{ Params: P; Body: { slug: string; version?: string } }>(`${base}/:siteId/plugins`, { schema: { tags: ['plugins'], summary: 'Install a vetted plugin: 201 active, or 422 PLUGIN_SECURITY_VIOLATION', params: SiteParams, body: InstallPluginBody, response: { 201: InstalledPlugin, 422: ErrorBody, ...errors } } }, async (request, reply) =>
    reply.code(201).send(await installPlugin(deps, principalOf(request), request.params.tenantId, request.params.siteId, request.body.slug, request.body.version)),
  );

  app.delete<{ Params: P & { slug: string } }>(`${base}/:siteId/plugins/:slug`, { schema: { tags: ['plugins'], summary: 'Uninstall a plugin', params: PluginParams, response: { 204: NoContent, ...errors } } }, async (request, reply) => {
    await uninstallPlugin(deps, principalOf(request), request.params.tenantId, request.params.siteId, request.params.slug);
    return reply.code(204).send();
  });

  app.patch<{ Params: P & { slug: string }; Body: Record<string, unknown> }>(`${base}/:siteId/plugins/:slug`, { schema: { tags: ['plugins'], summary: "Activate/deactivate; set the plugin's own options", params: PluginParams, body: ConfigurePluginBody, response: { 200: InstalledPlugin, ...errors } } }, async (request) =>
    configurePlugin(deps, principalOf(request), request.params.tenantId, request.params.siteId, request.params.slug, request.body),
  );

  app.get<{ Params: { tenantId: string } }>('/v1.0/tenants/:tenantId/plugins', { schema: { tags: ['plugins'], summary: 'Plugins installed across the tenant’s sites', params: Params, response: { 200: TenantPlugins, ...errors } } }, async (request) => {
    assertTenantAccess(principalOf(request), request.params.tenantId);
    const sites = (await deps.store.listSites(request.params.tenantId)).filter((s) => s.status !== 'DELETED');
    return { plugins: sites.flatMap((s) => s.plugins.map((p) => ({ ...p, siteId: s.siteId, siteName: s.siteName }))) };
  });
}
