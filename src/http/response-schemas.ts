/**
 * 2xx response schemas for /openapi.json. Each names the fields a client can rely on; the
 * objects are open (`additionalProperties: true`) because Fastify serializes responses with
 * these schemas, and a closed schema would silently drop a field that a view gains later.
 */
import { Type, type TProperties } from '@sinclair/typebox';

/** An object schema that documents `properties` and lets any further field through. */
export const Open = (properties: TProperties, description?: string) => Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });

const Str = Type.String();
const NullableStr = Type.Union([Type.String(), Type.Null()]);

export const SiteView = Open({
  tenantId: Str,
  siteId: Str,
  siteName: Str,
  title: Str,
  adminEmail: Str,
  environment: Str,
  hostnames: Type.Array(Str),
  templateId: NullableStr,
  status: Type.String({ description: 'PROVISIONING, ACTIVE, UPDATING, FAILED, DELETING, or SUSPENDED while the tenant is deprovisioned (soft delete).' }),
  suspendedReason: Type.Optional(Str),
  lastError: NullableStr,
  plugins: Type.Array(Open({ slug: Str, version: Str, active: Type.Boolean() })),
  expiresAt: NullableStr,
  url: Str,
  canUndoPromote: Type.Boolean(),
  cache: Type.Optional(Open({ enabled: Type.Boolean(), ttlSeconds: Type.Integer() }, 'The edge page cache of the site (docs/sites.md).')),
  createdAt: Str,
  updatedAt: Str,
  version: Type.Integer(),
});

export const SiteList = Open({ sites: Type.Array(SiteView) });
export const SiteAccepted = Open({ siteId: Str, operationId: Str, status: Str, url: Type.Optional(Str) }, 'Accepted: follow operationId.');
export const SiteResult = Open({ site: SiteView });
export const CachePurged = Open({ siteId: Str, purged: Type.Integer({ description: 'cached pages removed' }), ms: Type.Number() });
export const PreviewAccepted = Open({ siteId: Str, tenantId: Str, operationId: Str, url: Str, expiresAt: Str }, 'Accepted: the preview site is removed at expiresAt.');
export const InstalledPlugin = Open({ slug: Str, version: Str, active: Type.Boolean(), name: Type.Optional(Str), vetting: Type.Optional(Open({})) });
export const TenantPlugins = Open({ plugins: Type.Array(Open({ slug: Str, version: Str, active: Type.Boolean(), siteId: Str, siteName: Str })) });
export const TemplateView = Open({ templateId: Str, name: Str });
export const TemplateList = Open({ templates: Type.Array(TemplateView) });
export const MarketplacePlugins = Open({ plugins: Type.Array(Open({ slug: Str })) });
export const RetryAccepted = Open({ operationId: Str, retryOf: Str, type: Str, status: Str });
export const QueueStatsList = Open({ items: Type.Array(Open({ queue: Str, visible: Type.Integer(), notVisible: Type.Integer(), delayed: Type.Integer() })) });
export const OpenOperations = Open({ items: Type.Array(Open({ operationId: Str, type: Str, status: Str, ageSeconds: Type.Integer(), pastDeadline: Type.Boolean(), currentStep: NullableStr })) });
export const QueueMessages = Open({ items: Type.Array(Open({})) });
export const Redriven = Open({ queue: Str, moved: Type.Integer() });
export const Purged = Open({ queue: Str, purged: Type.Integer() });
export const EdgeBasicAuthView = Open({
  environment: Str,
  enabled: Type.Boolean({ description: 'False in DEV: its edge asks for no basic auth (user and password null).' }),
  user: NullableStr,
  password: Type.Union([Type.String(), Type.Null()], { description: 'The secret itself: never cached (Cache-Control: no-store), never kept for replays.' }),
});
export const NoContent = Type.Null({ description: 'No content.' });
export const CertificateView = Open({
  name: Str,
  source: Type.Union([Type.Literal('acme'), Type.Literal('local-ca'), Type.Literal('manual'), Type.Null()]),
  status: Type.Union([Type.Literal('valid'), Type.Literal('pending'), Type.Literal('failed'), Type.Literal('expired')]),
  issuer: NullableStr,
  serialNumber: NullableStr,
  notBefore: NullableStr,
  notAfter: NullableStr,
  renewAt: NullableStr,
  lastError: NullableStr,
  nextAttemptAt: NullableStr,
});
export const CertificateList = Open({ mode: Str, items: Type.Array(CertificateView) });
export const CaCertificateView = Open({ certificate: Type.String({ description: "PEM of the platform's local CA, for browsers and clients to trust." }) });
