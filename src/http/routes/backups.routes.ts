/**
 * Backups (docs/backups.md).
 * - Operators (platform-admin): `/v1.0/backups` — list, get, create 202, verify 202, restore in
 *   place 202, undo the last restore 202, prune (retention, with a dry run) 200.
 * - Self-service, tenant-admins within their own tenant: `/v1.0/tenants/{t}/sites/{s}/backups` —
 *   create 202, list, restore 202. Another tenant's backups answer 404.
 * Every 202 names an operation to follow at `/v1.0/operations/{id}`; POSTs honour Idempotency-Key.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { backupView, getBackup, listBackups, requestBackup, requestRestoreInPlace, requestUndoRestore, requestVerify } from '../../app/backups/backup-commands.js';
import { engineOf, withBackups } from '../../app/backups/backup-deps.js';
import { requestRestoreToTenant } from '../../app/backups/restore-to-tenant.js';
import { assertPlatformAdmin } from '../../domain/auth.js';
import { formatRetention, parseRetention } from '../../domain/backup.js';
import { BbwsError } from '../../domain/errors.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { Open } from '../response-schemas.js';
import { ErrorBody } from '../schemas.js';

const strict = { additionalProperties: false } as const;
const Str = Type.String();
const Id = Type.String({ maxLength: 64 });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody };
const BackupView = Open({ backupId: Str, scope: Str, type: Str, tenantId: Type.Union([Str, Type.Null()]), createdAt: Str, verification: Open({ status: Str }) }, 'A backup and whether a restore of it was verified (UNVERIFIED until then).');
const BackupList = Open({ backups: Type.Array(BackupView) });
const BackupAccepted = Open({ operationId: Str, backupId: Str, status: Str }, 'Accepted: follow operationId.');
const PruneResult = Open({ dryRun: Type.Boolean(), retention: Str, removed: Type.Array(BackupView), kept: Type.Integer() });
const SiteParams = Type.Object({ tenantId: Id, siteId: Id }, strict);
const SiteBackupParams = Type.Object({ tenantId: Id, siteId: Id, backupId: Id }, strict);
const BackupParams = Type.Object({ backupId: Id }, strict);
const ListQuery = Type.Object({ tenantId: Type.Optional(Id), siteId: Type.Optional(Id) }, strict);
const TypeField = Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('incremental')]));
const CreateBody = Type.Object({ tenantId: Id, siteId: Type.Optional(Id), type: TypeField }, strict);
const SiteCreateBody = Type.Object({ type: TypeField }, strict);
const RestoreBody = Type.Object({ inPlace: Type.Literal(true, { description: 'Required: a restore replaces what is there now (after a checkpoint backup of it).' }) }, strict);
const AdminRestoreBody = Type.Union([
  RestoreBody,
  Type.Object({ toTenant: Type.String({ maxLength: 64, description: 'A tenant that does not exist yet: created, then the backup restored into it (the original is not touched).' }) }, strict),
]);
const UndoBody = Type.Object({ tenantId: Id, siteId: Type.Optional(Id) }, strict);
const PruneBody = Type.Object({ dryRun: Type.Optional(Type.Boolean()), retention: Type.Optional(Type.String({ maxLength: 32 })) }, strict);

export function registerBackupRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const b = () => withBackups(deps);
  const site = '/v1.0/tenants/:tenantId/sites/:siteId/backups';
  type SP = { tenantId: string; siteId: string };

  app.post<{ Params: SP; Body: { type?: string } }>(site, { schema: { tags: ['backups'], summary: "Back up this site's tables and uploads (async)", params: SiteParams, body: SiteCreateBody, response: { 202: BackupAccepted, ...errors } } }, async (request, reply) =>
    reply.code(202).send(await requestBackup(b(), principalOf(request), { tenantId: request.params.tenantId, siteId: request.params.siteId, type: request.body?.type }, request.id)),
  );

  app.get<{ Params: SP }>(site, { schema: { tags: ['backups'], summary: "This site's backups, newest first", params: SiteParams, response: { 200: BackupList, ...errors } } }, async (request) => {
    const principal = principalOf(request);
    const list = await listBackups(b(), principal, { tenantId: request.params.tenantId, siteId: request.params.siteId });
    return { backups: list.map((r) => backupView(r, principal)) };
  });

  app.post<{ Params: SP & { backupId: string }; Body: { inPlace: true } }>(`${site}/:backupId/restore`, { schema: { tags: ['backups'], summary: 'Restore a backup of this site over it, after a checkpoint (async)', params: SiteBackupParams, body: RestoreBody, response: { 202: BackupAccepted, ...errors } } }, async (request, reply) =>
    reply.code(202).send(await requestRestoreInPlace(b(), principalOf(request), request.params.backupId, request.id, { tenantId: request.params.tenantId, siteId: request.params.siteId })),
  );

  const admin = (request: Parameters<typeof principalOf>[0]) => {
    const p = principalOf(request);
    assertPlatformAdmin(p);
    return p;
  };

  app.get<{ Querystring: { tenantId?: string; siteId?: string } }>('/v1.0/backups', { schema: { tags: ['backups'], summary: 'Every backup (tenants, sites, platform), newest first', querystring: ListQuery, response: { 200: BackupList, ...errors } } }, async (request) => {
    const p = admin(request);
    return { backups: (await listBackups(b(), p, request.query)).map((r) => backupView(r, p)) };
  });

  app.post<{ Body: { tenantId: string; siteId?: string; type?: string } }>('/v1.0/backups', { schema: { tags: ['backups'], summary: 'Back up a tenant (database, content, spec, sites) or one site (async)', body: CreateBody, response: { 202: BackupAccepted, ...errors } } }, async (request, reply) =>
    reply.code(202).send(await requestBackup(b(), admin(request), request.body, request.id)),
  );

  app.get<{ Params: { backupId: string } }>('/v1.0/backups/:backupId', { schema: { tags: ['backups'], summary: 'A backup: contents, sizes, per-table rows and checksums, verification', params: BackupParams, response: { 200: BackupView, ...errors } } }, async (request) => {
    const p = admin(request);
    return backupView(await getBackup(b(), p, request.params.backupId), p);
  });

  app.post<{ Params: { backupId: string } }>('/v1.0/backups/:backupId/verify', { schema: { tags: ['backups'], summary: 'Restore into scratch, compare tables and files, record the result (async)', params: BackupParams, response: { 202: BackupAccepted, ...errors } } }, async (request, reply) =>
    reply.code(202).send(await requestVerify(b(), admin(request), request.params.backupId, request.id)),
  );

  app.post<{ Params: { backupId: string }; Body: { inPlace?: true; toTenant?: string } }>('/v1.0/backups/:backupId/restore', { schema: { tags: ['backups'], summary: 'Restore over its own tenant or site after a checkpoint backup, or into a new tenant (async)', params: BackupParams, body: AdminRestoreBody, response: { 202: BackupAccepted, ...errors } } }, async (request, reply) => {
    const p = admin(request);
    if (request.body.toTenant !== undefined) return reply.code(202).send(await requestRestoreToTenant(b(), p, request.params.backupId, request.body.toTenant, request.id));
    return reply.code(202).send(await requestRestoreInPlace(b(), p, request.params.backupId, request.id));
  });

  app.post<{ Body: { tenantId: string; siteId?: string } }>('/v1.0/backups/undo-restore', { schema: { tags: ['backups'], summary: 'Go back to the checkpoint taken before the last in-place restore (async)', body: UndoBody, response: { 202: BackupAccepted, ...errors } } }, async (request, reply) =>
    reply.code(202).send(await requestUndoRestore(b(), admin(request), request.body, request.id)),
  );

  app.post<{ Body: { dryRun?: boolean; retention?: string } }>('/v1.0/backups/prune', { schema: { tags: ['backups'], summary: 'Apply the retention policy now; dryRun lists what would go', body: PruneBody, response: { 200: PruneResult, ...errors } } }, async (request) => {
    const p = admin(request);
    const deps2 = b();
    const retention = request.body?.retention !== undefined ? parseRetention(request.body.retention) : deps2.backups.retention;
    const dryRun = request.body?.dryRun ?? false;
    const open = (await deps.store.listOpenOperations()).filter((o) => o.type === 'CREATE_BACKUP' || o.type === 'RESTORE_BACKUP');
    if (!dryRun && open.length) throw new BbwsError('OPERATION_IN_PROGRESS', 'A backup or restore is running; prune when it is done.', { operationId: open[0].operationId });
    const result = await engineOf(deps2).prune(retention, { dryRun });
    return { dryRun, retention: formatRetention(retention), removed: result.removed.map((r) => backupView(r, p)), kept: result.kept };
  });
}
