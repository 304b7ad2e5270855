/**
 * `bbws secrets rotate T --db [--basic-auth] [--site-admin S]` / `POST /v1.0/tenants/{t}/secrets/rotate`
 * (platform-admin): an operation on the backups queue (one at a time per tenant, beside backups and
 * restores, which read the same credentials).
 * - db: carried out by the runtime with no failed request during the switch
 *   (adapters/runtime/local/rotate-db-password.ts); the answer holds no secret.
 * - basic-auth: the edge's basic-auth password of the environment (seed 003: one user
 *   `bbws-<env>` for SIT or PROD, shared by its tenants; the tenant named is the lane the request
 *   runs on). The old password stays accepted for `graceSeconds`
 *   (adapters/runtime/local/rotate-edge-basic-auth.ts). Who asked is recorded, never the password;
 *   a platform-admin reads the new one with GET /v1.0/admin/edge/basic-auth.
 * - site-admin: a new password for the site's admin, kept in the secret store as pending before
 *   the request is accepted and shown once in the answer (like a new site's); the worker sets it in
 *   WordPress (every session of the admin ends), then keeps it alone.
 */
import { randomBytes } from 'node:crypto';
import type { Principal } from '../../domain/auth.js';
import { DEFAULT_BASIC_AUTH_GRACE_SECONDS, edgeAsksForBasicAuth, edgeBasicAuthPendingSecretName, edgeBasicAuthSecretName, MAX_BASIC_AUTH_GRACE_SECONDS } from '../../domain/edge-basic-auth.js';
import { BbwsError } from '../../domain/errors.js';
import type { Operation } from '../../domain/operation.js';
import type { BackupProgress } from '../../ports/backups.js';
import { assertActiveTenant, enqueueOnBackupsQueue } from '../backups/backup-commands.js';
import type { BackupDeps } from '../backups/backup-deps.js';
import { adminSecretName, wordpressOf } from '../sites/site-deps.js';
import { loadSite, siteRef } from '../sites/site-records.js';

export const ROTATABLE_SECRETS = ['db', 'basic-auth', 'site-admin'] as const;
export type RotatableSecret = (typeof ROTATABLE_SECRETS)[number];

function parseKinds(value: unknown): RotatableSecret[] {
  const kinds = Array.isArray(value) ? value : [];
  const bad = kinds.find((k) => !(ROTATABLE_SECRETS as readonly unknown[]).includes(k));
  if (bad !== undefined || kinds.length === 0)
    throw new BbwsError('VALIDATION_FAILED', `secrets must name what to rotate, one or more of: ${ROTATABLE_SECRETS.join(', ')} (bbws secrets rotate TENANT --db | --basic-auth | --site-admin SITE).`, { field: 'secrets' });
  return [...new Set(kinds as RotatableSecret[])];
}

interface AdminSecret {
  user: string;
  password: string;
  pendingPassword?: string;
}

export interface RotationAccepted {
  operationId: string;
  status: string;
  /** With site-admin: the admin's new password, shown once. */
  adminUser?: string;
  adminPassword?: string;
}

function parseGraceSeconds(value: unknown): number {
  if (value === undefined) return DEFAULT_BASIC_AUTH_GRACE_SECONDS;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_BASIC_AUTH_GRACE_SECONDS)
    throw new BbwsError('VALIDATION_FAILED', `graceSeconds must be a whole number of seconds from 0 to ${MAX_BASIC_AUTH_GRACE_SECONDS}.`, { field: 'graceSeconds' });
  return value as number;
}

export async function requestSecretRotation(deps: BackupDeps, principal: Principal | null, tenantId: string, body: { secrets?: unknown; siteId?: unknown; graceSeconds?: unknown }, correlationId: string | null): Promise<RotationAccepted> {
  if (principal && principal.role !== 'platform-admin') throw new BbwsError('FORBIDDEN', 'Secrets are rotated by a platform-admin.');
  const kinds = parseKinds(body.secrets);
  const basicAuth = kinds.includes('basic-auth') ? { graceSeconds: parseGraceSeconds(body.graceSeconds) } : {};
  if (basicAuth.graceSeconds !== undefined && !edgeAsksForBasicAuth(deps.env))
    throw new BbwsError('INVALID_STATE', `The ${deps.env} edge asks for no basic auth: there is no password to rotate.`, { environment: deps.env });
  await assertActiveTenant(deps, tenantId);
  if (!kinds.includes('site-admin')) {
    const op = await enqueueOnBackupsQueue(deps, 'ROTATE_SECRETS', tenantId, { secrets: kinds, ...basicAuth }, correlationId);
    recordBasicAuthRequest(deps, principal, kinds, op.operationId, correlationId);
    return { operationId: op.operationId, status: op.status };
  }
  if (typeof body.siteId !== 'string') throw new BbwsError('VALIDATION_FAILED', 'site-admin needs the site (siteId; bbws secrets rotate TENANT --site-admin SITE).', { field: 'siteId' });
  const site = await loadSite(deps, principal, tenantId, body.siteId);
  const name = adminSecretName(deps, tenantId, site.siteId);
  const stored = await deps.secrets.get(name);
  if (!stored) throw new BbwsError('INVALID_STATE', `Site ${site.siteId} has no admin secret (it was never installed by bbws).`, { siteId: site.siteId });
  const current = JSON.parse(stored) as AdminSecret;
  const adminPassword = randomBytes(18).toString('base64url');
  // Pending before the request is accepted: the worker sets exactly the password shown here.
  await deps.secrets.put(name, JSON.stringify({ ...current, pendingPassword: adminPassword }));
  try {
    const op = await enqueueOnBackupsQueue(deps, 'ROTATE_SECRETS', tenantId, { secrets: kinds, siteId: site.siteId, ...basicAuth }, correlationId);
    recordBasicAuthRequest(deps, principal, kinds, op.operationId, correlationId);
    return { operationId: op.operationId, status: op.status, adminUser: current.user, adminPassword };
  } catch (err) {
    await deps.secrets.put(name, stored); // nothing was accepted: the secret as it was
    throw err;
  }
}

/** Who asked for the edge's password to change (the audit trail; never the password). */
function recordBasicAuthRequest(deps: BackupDeps, principal: Principal | null, kinds: RotatableSecret[], operationId: string, correlationId: string | null): void {
  if (!kinds.includes('basic-auth')) return;
  deps.logger.info(
    { action: 'EDGE_BASIC_AUTH_ROTATE', status: 'ACCEPTED', subject: principal?.subject ?? 'local', role: principal?.role ?? 'platform-admin', environment: deps.env, operationId, correlationId },
    `edge basic-auth rotation of ${deps.env} asked by ${principal?.subject ?? 'local'}`,
  );
}

async function rotateSiteAdmin(deps: BackupDeps, tenantId: string, siteId: string, progress: BackupProgress): Promise<void> {
  const name = adminSecretName(deps, tenantId, siteId);
  const current = JSON.parse((await deps.secrets.get(name)) ?? 'null') as AdminSecret | null;
  if (!current?.pendingPassword) return; // done already (a redelivered operation)
  const site = await loadSite(deps, null, tenantId, siteId);
  progress('site-admin: set the new password in WordPress and end the sessions');
  await wordpressOf(deps).setUserPassword(siteRef(site), current.user, current.pendingPassword);
  progress('site-admin: keep the new password alone');
  const { pendingPassword, ...rest } = current;
  await deps.secrets.put(name, JSON.stringify({ ...rest, password: pendingPassword }));
  deps.logger.info({ tenantId, siteId, action: 'SECRET_ROTATED', secret: name }, 'site admin password rotated');
}

/**
 * The edge's password, once per operation: a redelivered operation that finds the secret written
 * after it was accepted and nothing pending was done already (another run would cut the first
 * run's old password off before its window ends).
 */
async function rotateBasicAuthOnce(deps: BackupDeps, op: Operation, progress: BackupProgress): Promise<void> {
  const runtime = deps.backups.runtime;
  if (!runtime?.rotateEdgeBasicAuth) throw new BbwsError('RUNTIME_UNAVAILABLE', "This runtime cannot rotate the edge's basic-auth password.");
  const name = edgeBasicAuthSecretName(deps.env);
  const written = (await deps.secrets.listAges(name)).find((s) => s.name === name)?.updatedAt;
  if (written && Date.parse(written) >= Date.parse(op.createdAt) && !(await deps.secrets.get(edgeBasicAuthPendingSecretName(deps.env)))) {
    progress('basic-auth: rotated already by this operation');
    return;
  }
  const { graceUntil } = await runtime.rotateEdgeBasicAuth(op.input.graceSeconds as number, progress);
  deps.logger.info({ tenantId: op.tenantId, action: 'SECRET_ROTATED', secret: name, environment: deps.env, graceUntil, operationId: op.operationId }, `edge basic-auth password of ${deps.env} rotated; the old one is accepted until ${graceUntil}`);
}

/** The worker's part: each kind asked for, journaled as steps. */
export async function runSecretRotation(deps: BackupDeps, op: Operation, progress: BackupProgress): Promise<void> {
  const kinds = op.input.secrets as RotatableSecret[];
  if (kinds.includes('db')) {
    const runtime = deps.backups.runtime;
    if (!runtime?.rotateDatabasePassword) throw new BbwsError('RUNTIME_UNAVAILABLE', 'This runtime cannot rotate database passwords.');
    await runtime.rotateDatabasePassword(op.tenantId, (step) => progress(`db: ${step}`));
  }
  if (kinds.includes('basic-auth')) await rotateBasicAuthOnce(deps, op, progress);
  if (kinds.includes('site-admin')) await rotateSiteAdmin(deps, op.tenantId, op.input.siteId as string, progress);
}
