/**
 * Sites (seed 001): WordPress installations inside a tenant's instance, each with its own host
 * names, database tables (own table prefix) and uploads, labelled production or staging.
 */
import { BbwsError } from './errors.js';

export const SITE_STATUSES = ['PROVISIONING', 'ACTIVE', 'UPDATING', 'FAILED', 'DELETING', 'DELETED'] as const;
export type SiteStatus = (typeof SITE_STATUSES)[number];

export const SITE_ENVIRONMENTS = ['production', 'staging'] as const;
export type SiteEnvironment = (typeof SITE_ENVIRONMENTS)[number];

export interface Site {
  tenantId: string;
  siteId: string;
  siteName: string;
  title: string;
  adminEmail: string;
  environment: SiteEnvironment;
  /** The first is the primary host (WordPress's home and siteurl). */
  hostnames: string[];
  templateId: string | null;
  status: SiteStatus;
  lastError: string | null;
  /** Set while a promote of another site over this one can be undone. */
  promoteBackupId: string | null;
  /** Marketplace plugins installed on this site. */
  plugins: Array<{ slug: string; version: string; active: boolean }>;
  /** The edge's page cache for this site (absent in records made before it existed: the defaults). */
  cache?: SiteCacheSettings;
  /** Template previews are temporary: removed by the reconciler after this time. */
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface SiteCacheSettings {
  enabled: boolean;
  ttlSeconds: number;
}

/** Page cache on, 10 minutes (issue 15). */
export const DEFAULT_SITE_CACHE: SiteCacheSettings = Object.freeze({ enabled: true, ttlSeconds: 600 });
export const MAX_CACHE_TTL_SECONDS = 7 * 24 * 3600;

export function siteCacheSettings(site: Pick<Site, 'cache'>): SiteCacheSettings {
  return { ...DEFAULT_SITE_CACHE, ...(site.cache ?? {}) };
}

/** `{enabled?, ttlSeconds?}` over `current`: VALIDATION_FAILED naming the field otherwise. */
export function parseCacheSettings(value: unknown, current: SiteCacheSettings): SiteCacheSettings {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BbwsError('VALIDATION_FAILED', 'cache must be an object {enabled?, ttlSeconds?}.', { field: 'cache' });
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (k !== 'enabled' && k !== 'ttlSeconds') throw new BbwsError('VALIDATION_FAILED', `cache.${k} is not a setting; send enabled and/or ttlSeconds.`, { field: `cache.${k}` });
  if (v.enabled !== undefined && typeof v.enabled !== 'boolean') throw new BbwsError('VALIDATION_FAILED', 'cache.enabled must be true or false.', { field: 'cache.enabled' });
  if (v.ttlSeconds !== undefined && (typeof v.ttlSeconds !== 'number' || !Number.isInteger(v.ttlSeconds) || v.ttlSeconds < 1 || v.ttlSeconds > MAX_CACHE_TTL_SECONDS)) {
    throw new BbwsError('VALIDATION_FAILED', `cache.ttlSeconds must be a whole number of seconds from 1 to ${MAX_CACHE_TTL_SECONDS}.`, { field: 'cache.ttlSeconds' });
  }
  return { enabled: (v.enabled as boolean | undefined) ?? current.enabled, ttlSeconds: (v.ttlSeconds as number | undefined) ?? current.ttlSeconds };
}

/** Site ids are also table-prefix material (`s<siteId>_`): 10 lowercase letters and digits. */
const SITE_ID = /^[a-z0-9]{10}$/;
const SITE_NAME = /^[a-z0-9]([a-z0-9-]{1,38}[a-z0-9])?$/;

export function isValidSiteId(value: unknown): value is string {
  return typeof value === 'string' && SITE_ID.test(value);
}

export function assertSiteName(value: unknown): string {
  if (typeof value !== 'string' || !SITE_NAME.test(value) || value.length < 3) {
    throw new BbwsError('VALIDATION_FAILED', 'siteName must be 3-40 lowercase letters, digits and inner hyphens.', { field: 'siteName' });
  }
  return value;
}

export function assertEmail(value: unknown, field = 'adminEmail'): string {
  if (typeof value !== 'string' || value.length > 254 || !/^[^\s@<>"'\\]+@[a-z0-9.-]+\.[a-z]{2,}$/i.test(value)) {
    throw new BbwsError('VALIDATION_FAILED', `${field} must be an e-mail address.`, { field });
  }
  return value;
}

export function assertTitle(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > 200 || /[\u0000-\u001f]/.test(value)) {
    throw new BbwsError('VALIDATION_FAILED', 'title must be 1-200 printable characters.', { field: 'title' });
  }
  return value;
}

/** `<siteName>.<tenant>.wp<env>.<baseDomain>`: under the tenant's own host, so it cannot clash with another tenant's. */
export function defaultSiteHostname(siteName: string, tenantHostname: string): string {
  return `${siteName}.${tenantHostname}`;
}

export function tablePrefix(siteId: string): string {
  if (!isValidSiteId(siteId)) throw new BbwsError('VALIDATION_FAILED', 'invalid site id', { siteId });
  return `s${siteId}_`;
}

export function newSiteId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(10));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

export function describeSite(site: Site) {
  const { promoteBackupId, ...rest } = site;
  return { ...rest, cache: siteCacheSettings(site), url: `http://${site.hostnames[0]}`, canUndoPromote: promoteBackupId !== null };
}
