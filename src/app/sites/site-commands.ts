/**
 * The asynchronous site actions of seed 001: create, update, delete, clone, apply a template,
 * preview a template. Each records the site and an operation and enqueues the work on the site
 * queue of its kind in one commit; the site processor (run-site-operation.ts) carries it out.
 */
import { randomBytes } from 'node:crypto';
import { assertTenantAccess, type Principal } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import { assertHostnamesAllowed } from '../../domain/hostnames.js';
import { names } from '../../domain/naming.js';
import type { SiteOperationType } from '../../domain/operation.js';
import {
  assertEmail, assertSiteName, assertTitle, defaultSiteHostname, newSiteId, parseCacheSettings, siteCacheSettings, SITE_ENVIRONMENTS, type Site, type SiteEnvironment,
} from '../../domain/site.js';
import { validateOptions } from '../../domain/template.js';
import { StoreConflictError } from '../../ports/store.js';
import { hostnamePolicy } from '../custom-domains.js';
import { isoNow } from '../deps.js';
import { operationMessage } from '../operation-message.js';
import { newOperation } from '../operation-records.js';
import { adminSecretName, type SiteDeps } from './site-deps.js';
import { assertNoSiteOperation, loadSite, siteView } from './site-records.js';

export const PREVIEW_TTL_MS = 60 * 60 * 1000;

/** The site queue that carries operations of this type. */
export function queueFor(deps: Pick<SiteDeps, 'queues'>, type: SiteOperationType): string {
  if (type === 'DELETE_SITE') return deps.queues.siteDeletion;
  if (type === 'UPDATE_SITE' || type === 'APPLY_TEMPLATE') return deps.queues.siteUpdate;
  return deps.queues.siteCreation;
}

/** Commits the site (new or changed) with its operation and message. */
export async function commitSiteOperation(deps: SiteDeps, site: Site, expectedVersion: number | null, type: SiteOperationType, input: Record<string, unknown>, correlationId: string | null) {
  const operation = newOperation(deps, type, site.tenantId, { siteId: site.siteId, ...input }, correlationId);
  try {
    await deps.store.commit([
      { kind: 'putSite', site, expectedVersion },
      { kind: 'putOperation', operation, expectedVersion: null },
      { kind: 'enqueue', message: operationMessage(queueFor(deps, type), operation) },
    ]);
  } catch (err) {
    if (err instanceof StoreConflictError && err.which === 'hostname') throw new BbwsError('HOSTNAME_TAKEN', undefined, { hostname: err.id });
    if (err instanceof StoreConflictError) throw new BbwsError('VERSION_CONFLICT', undefined, { siteId: site.siteId });
    throw err;
  }
  deps.logger.info({ tenantId: site.tenantId, siteId: site.siteId, action: type, status: 'ACCEPTED', operationId: operation.operationId, correlationId }, 'site operation accepted');
  deps.metrics.increment('bbws_operations_started_total', { type });
  return operation;
}

async function assertInstanceActive(deps: SiteDeps, tenantId: string): Promise<void> {
  const instance = await deps.store.getInstance(tenantId);
  if (!instance) throw new BbwsError('TENANT_NOT_FOUND', undefined, { tenantId });
  if (instance.provisioningState !== 'ACTIVE' && instance.provisioningState !== 'SCALING') {
    throw new BbwsError('INVALID_STATE', `The tenant's instance is ${instance.provisioningState}; sites need it ACTIVE.`, { provisioningState: instance.provisioningState });
  }
}

export async function assertNameFree(deps: SiteDeps, tenantId: string, siteName: string): Promise<void> {
  const taken = (await deps.store.listSites(tenantId)).some((s) => s.siteName === siteName && s.status !== 'DELETED');
  if (taken) throw new BbwsError('SITE_EXISTS', undefined, { siteName });
}

export function parseEnvironment(value: unknown, fallback: SiteEnvironment): SiteEnvironment {
  if (value === undefined) return fallback;
  if (!(SITE_ENVIRONMENTS as readonly unknown[]).includes(value)) throw new BbwsError('VALIDATION_FAILED', 'environment must be production or staging.', { field: 'environment' });
  return value as SiteEnvironment;
}

export function newSite(deps: SiteDeps, tenantId: string, fields: Pick<Site, 'siteName' | 'title' | 'adminEmail' | 'environment' | 'templateId'> & { extraHostnames: string[]; expiresAt?: string | null }): Site {
  const now = isoNow(deps);
  const tenantHost = names.defaultHostname(deps.env, tenantId, deps.baseDomain);
  const { extraHostnames, expiresAt, ...rest } = fields;
  return {
    tenantId,
    siteId: newSiteId(),
    ...rest,
    hostnames: [...new Set([defaultSiteHostname(fields.siteName, tenantHost), ...extraHostnames])],
    status: 'PROVISIONING',
    lastError: null,
    promoteBackupId: null,
    plugins: [],
    expiresAt: expiresAt ?? null,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
}

/**
 * Stores a new site's generated admin password as a secret, commits the site's operation, and
 * removes the secret again if nothing was committed. Returns the password: it is shown only once.
 */
async function commitNewSite(deps: SiteDeps, site: Site, input: Record<string, unknown>, correlationId: string | null) {
  const adminPassword = randomBytes(18).toString('base64url');
  const secretName = adminSecretName(deps, site.tenantId, site.siteId);
  await deps.secrets.put(secretName, JSON.stringify({ user: 'admin', password: adminPassword }));
  try {
    return { operation: await commitSiteOperation(deps, site, null, 'CREATE_SITE', input, correlationId), adminPassword };
  } catch (err) {
    await deps.secrets.delete(secretName); // nothing was recorded: leave no secret behind
    throw err;
  }
}

export interface CreateSiteBody {
  siteName: unknown;
  title: unknown;
  adminEmail: unknown;
  hostnames?: unknown;
  templateId?: unknown;
  environment?: unknown;
}

/** POST /v1.0/tenants/{tenantId}/sites → 202 with the admin password, shown this once. */
export async function createSite(deps: SiteDeps, principal: Principal, tenantId: string, body: CreateSiteBody, correlationId: string | null) {
  assertTenantAccess(principal, tenantId);
  const siteName = assertSiteName(body.siteName);
  const title = assertTitle(body.title);
  const adminEmail = assertEmail(body.adminEmail);
  const extraHostnames = assertHostnamesAllowed(body.hostnames, await hostnamePolicy(deps, tenantId));
  const environment = parseEnvironment(body.environment, 'production');
  let templateId: string | null = null;
  if (body.templateId !== undefined) {
    if (typeof body.templateId !== 'string' || !(await deps.templates.get(body.templateId))) throw new BbwsError('TEMPLATE_NOT_FOUND', undefined, { templateId: body.templateId });
    templateId = body.templateId;
  }
  await assertInstanceActive(deps, tenantId);
  await assertNameFree(deps, tenantId, siteName);
  const site = newSite(deps, tenantId, { siteName, title, adminEmail, environment, templateId, extraHostnames });
  const { operation, adminPassword } = await commitNewSite(deps, site, { templateId }, correlationId);
  return { siteId: site.siteId, operationId: operation.operationId, status: site.status, url: siteView(deps, site).url, adminUser: 'admin', adminPassword };
}

/** PATCH …/sites/{siteId} {title?, hostnames?, options?, cache?} → 202. */
export async function updateSiteSettings(deps: SiteDeps, principal: Principal, tenantId: string, siteId: string, body: { title?: unknown; hostnames?: unknown; options?: unknown; cache?: unknown }, correlationId: string | null) {
  const site = await loadSite(deps, principal, tenantId, siteId);
  if (site.status !== 'ACTIVE') throw new BbwsError('INVALID_STATE', `The site is ${site.status}.`, { status: site.status });
  await assertNoSiteOperation(deps, tenantId, siteId);
  const title = body.title === undefined ? undefined : assertTitle(body.title);
  const options = validateOptions(body.options);
  const hostnames = body.hostnames === undefined ? site.hostnames : [site.hostnames[0], ...assertHostnamesAllowed(body.hostnames, await hostnamePolicy(deps, tenantId)).filter((h) => h !== site.hostnames[0])];
  const previousCache = siteCacheSettings(site);
  const cache = body.cache === undefined ? previousCache : parseCacheSettings(body.cache, previousCache);
  if (title === undefined && Object.keys(options).length === 0 && body.hostnames === undefined && body.cache === undefined) throw new BbwsError('VALIDATION_FAILED', 'Send title, hostnames, options or cache.', {});
  const next: Site = { ...site, title: title ?? site.title, hostnames, cache, status: 'UPDATING', updatedAt: isoNow(deps), version: site.version + 1 };
  const op = await commitSiteOperation(deps, next, site.version, 'UPDATE_SITE', { title, options, previousHostnames: site.hostnames, previousCache }, correlationId);
  return { siteId, operationId: op.operationId, status: next.status };
}

/** DELETE …/sites/{siteId} → 202; DELETING → DELETED. */
export async function deleteSite(deps: SiteDeps, principal: Principal | null, tenantId: string, siteId: string, correlationId: string | null) {
  const site = await loadSite(deps, principal, tenantId, siteId);
  if (site.status === 'DELETING') throw new BbwsError('INVALID_STATE', 'The site is already being deleted.', { status: site.status });
  await assertNoSiteOperation(deps, tenantId, siteId);
  const next: Site = { ...site, status: 'DELETING', updatedAt: isoNow(deps), version: site.version + 1 };
  const op = await commitSiteOperation(deps, next, site.version, 'DELETE_SITE', {}, correlationId);
  return { siteId, operationId: op.operationId, status: next.status };
}

/** POST …/sites/{siteId}/template {templateId} → 202. */
export async function applyTemplate(deps: SiteDeps, principal: Principal, tenantId: string, siteId: string, templateId: unknown, correlationId: string | null) {
  const site = await loadSite(deps, principal, tenantId, siteId);
  if (typeof templateId !== 'string' || !(await deps.templates.get(templateId))) throw new BbwsError('TEMPLATE_NOT_FOUND', undefined, { templateId });
  if (site.status !== 'ACTIVE') throw new BbwsError('INVALID_STATE', `The site is ${site.status}.`, { status: site.status });
  await assertNoSiteOperation(deps, tenantId, siteId);
  const next: Site = { ...site, templateId, status: 'UPDATING', updatedAt: isoNow(deps), version: site.version + 1 };
  const op = await commitSiteOperation(deps, next, site.version, 'APPLY_TEMPLATE', { templateId }, correlationId);
  return { siteId, operationId: op.operationId, status: next.status };
}

/** POST /v1.0/templates/{templateId}/preview → a temporary staging site, removed after an hour. */
export async function previewTemplate(deps: SiteDeps, principal: Principal, templateId: string, tenantIdInput: unknown, correlationId: string | null) {
  const template = await deps.templates.get(templateId);
  if (!template) throw new BbwsError('TEMPLATE_NOT_FOUND', undefined, { templateId });
  const tenantId = principal.role === 'tenant-admin' ? principal.tenantId! : tenantIdInput;
  if (typeof tenantId !== 'string') throw new BbwsError('VALIDATION_FAILED', 'tenantId is required: the preview runs inside a tenant.', { field: 'tenantId' });
  assertTenantAccess(principal, tenantId);
  await assertInstanceActive(deps, tenantId);
  const expiresAt = new Date(deps.now() + PREVIEW_TTL_MS).toISOString();
  const siteName = `preview-${randomBytes(4).toString('hex')}`;
  const site = newSite(deps, tenantId, { siteName, title: `Preview: ${template.name}`, adminEmail: `preview@${deps.baseDomain === 'localhost' ? 'example.com' : deps.baseDomain}`, environment: 'staging', templateId, extraHostnames: [], expiresAt });
  const { operation } = await commitNewSite(deps, site, { templateId, preview: true }, correlationId);
  return { siteId: site.siteId, tenantId, operationId: operation.operationId, url: siteView(deps, site).url, expiresAt };
}
