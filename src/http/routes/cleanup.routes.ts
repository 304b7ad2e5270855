/**
 * `POST /v1.0/cleanup` `{type: "safe"|"moderate"|"aggressive", dryRun}` (platform-admin;
 * docs/backups.md "Cleanup"): lists, or removes, backups beyond retention, orphans of tenants with
 * no record, old backups and the tombstones no backup needs.
 * `dryRun` defaults to true: removing needs `dryRun: false`.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { withBackups } from '../../app/backups/backup-deps.js';
import { CLEANUP_TYPES, runCleanup } from '../../app/cleanup/run-cleanup.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { Open } from '../response-schemas.js';
import { ErrorBody } from '../schemas.js';

const Str = Type.String();
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody, 503: ErrorBody };
const Item = Open({ kind: Str, name: Str, tenantId: Type.Union([Str, Type.Null()]), bytes: Type.Union([Type.Integer(), Type.Null()]), reason: Str }, 'Something cleanup removes (or, in a dry run, would remove).');
const Report = Open({ type: Str, dryRun: Type.Boolean(), items: Type.Array(Item), removed: Type.Integer(), failed: Type.Array(Open({ name: Str, error: Str })) });
const Body = Type.Object({ type: Type.String({ maxLength: 16, description: `One of ${CLEANUP_TYPES.join(', ')}.` }), dryRun: Type.Optional(Type.Boolean({ description: 'Default true: list only.' })) }, { additionalProperties: false });

export function registerCleanupRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post<{ Body: { type: string; dryRun?: boolean } }>('/v1.0/cleanup', { schema: { tags: ['operations'], summary: 'Backups beyond retention and orphans of tenants with no record: list (dry run) or remove', body: Body, response: { 200: Report, ...errors } } }, async (request) =>
    runCleanup(withBackups(deps), principalOf(request), request.body),
  );
}
