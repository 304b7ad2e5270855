/**
 * Secrets (docs/backups.md "Secrets"), platform-admin only:
 * - `GET /v1.0/secrets`: every secret's name and age, never a value, with what rotates it and
 *   whether it is older than the rotation policy;
 * - `POST /v1.0/tenants/{t}/secrets/rotate` `{secrets: ["db", "basic-auth", "site-admin"], siteId?,
 *   graceSeconds?}` → 202: rotates the tenant's database password with no failed request, the
 *   environment's edge basic-auth password (the old one accepted for graceSeconds more), and/or a
 *   site's admin password (shown once in the answer; follow the operation).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { withBackups } from '../../app/backups/backup-deps.js';
import { requestSecretRotation, ROTATABLE_SECRETS } from '../../app/secrets/rotate-secrets.js';
import { DEFAULT_SECRET_MAX_AGE_DAYS, listSecretAges } from '../../app/secrets/secret-ages.js';
import { assertPlatformAdmin } from '../../domain/auth.js';
import { DEFAULT_BASIC_AUTH_GRACE_SECONDS, MAX_BASIC_AUTH_GRACE_SECONDS } from '../../domain/edge-basic-auth.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { Open } from '../response-schemas.js';
import { ErrorBody } from '../schemas.js';

const Str = Type.String();
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody };
const SecretView = Open({ name: Str, updatedAt: Str, ageDays: Type.Integer(), rotateWith: Type.Union([Str, Type.Null()]), overdue: Type.Boolean() }, 'A secret: its name and age, never its value.');
const SecretList = Open({ maxAgeDays: Type.Integer(), secrets: Type.Array(SecretView) });
const RotateParams = Type.Object({ tenantId: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const RotateBody = Type.Object(
  {
    secrets: Type.Array(Type.String({ enum: [...ROTATABLE_SECRETS] }), { minItems: 1, maxItems: 4, description: "What to rotate: db (the tenant database password), basic-auth (the edge's basic-auth password of this environment, SIT or PROD), site-admin (the admin password of siteId)." }),
    siteId: Type.Optional(Type.String({ maxLength: 64, description: 'With site-admin: the site.' })),
    graceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_BASIC_AUTH_GRACE_SECONDS, description: `With basic-auth: how long the old password is still accepted (default ${DEFAULT_BASIC_AUTH_GRACE_SECONDS}).` })),
  },
  { additionalProperties: false },
);
const Accepted = Open({ operationId: Str, status: Str, adminUser: Type.Optional(Str), adminPassword: Type.Optional(Type.Union([Str, Type.Null()])) }, 'Accepted: follow operationId. With site-admin, the new admin password, shown once.');

export function registerSecretRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const maxAgeDays = deps.secretMaxAgeDays ?? DEFAULT_SECRET_MAX_AGE_DAYS;
  app.get('/v1.0/secrets', { schema: { tags: ['secrets'], summary: "Every secret's name and age (never a value), and whether it is overdue for rotation", response: { 200: SecretList, ...errors } } }, async (request) => {
    assertPlatformAdmin(principalOf(request));
    return { maxAgeDays, secrets: await listSecretAges(deps, maxAgeDays) };
  });

  app.post<{ Params: { tenantId: string }; Body: { secrets: string[]; siteId?: string; graceSeconds?: number } }>('/v1.0/tenants/:tenantId/secrets/rotate', { config: { secretFields: ['adminPassword'] }, schema: { tags: ['secrets'], summary: "Rotate the tenant's database password or the edge's basic-auth password with no failed request, or a site's admin password (async)", params: RotateParams, body: RotateBody, response: { 202: Accepted, ...errors } } }, async (request, reply) => {
    const principal = principalOf(request);
    assertPlatformAdmin(principal);
    reply.code(202).send(await requestSecretRotation(withBackups(deps), principal, request.params.tenantId, request.body, request.id));
  });
}
