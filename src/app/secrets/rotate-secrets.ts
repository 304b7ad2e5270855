/**
 * `bbws secrets rotate T --db` / `POST /v1.0/tenants/{t}/secrets/rotate` (platform-admin): an
 * operation on the backups queue (one at a time per tenant, beside backups and restores, which
 * read the same credentials), carried out by the runtime with no failed request during the switch
 * (adapters/runtime/local/rotate-db-password.ts). The answer never holds a secret.
 */
import type { Principal } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import type { Operation } from '../../domain/operation.js';
import type { BackupProgress } from '../../ports/backups.js';
import { assertActiveTenant, enqueueOnBackupsQueue } from '../backups/backup-commands.js';
import type { BackupDeps } from '../backups/backup-deps.js';

export const ROTATABLE_SECRETS = ['db'] as const;
export type RotatableSecret = (typeof ROTATABLE_SECRETS)[number];

function parseKinds(value: unknown): RotatableSecret[] {
  const kinds = Array.isArray(value) ? value : [];
  const bad = kinds.find((k) => !(ROTATABLE_SECRETS as readonly unknown[]).includes(k));
  if (bad !== undefined || kinds.length === 0)
    throw new BbwsError('VALIDATION_FAILED', `secrets must name what to rotate, one or more of: ${ROTATABLE_SECRETS.join(', ')} (bbws secrets rotate TENANT --db).`, { field: 'secrets' });
  return [...new Set(kinds as RotatableSecret[])];
}

export async function requestSecretRotation(deps: BackupDeps, principal: Principal | null, tenantId: string, body: { secrets?: unknown }, correlationId: string | null): Promise<{ operationId: string; status: string }> {
  if (principal && principal.role !== 'platform-admin') throw new BbwsError('FORBIDDEN', 'Secrets are rotated by a platform-admin.');
  const kinds = parseKinds(body.secrets);
  await assertActiveTenant(deps, tenantId);
  const op = await enqueueOnBackupsQueue(deps, 'ROTATE_SECRETS', tenantId, { secrets: kinds }, correlationId);
  return { operationId: op.operationId, status: op.status };
}

/** The worker's part: each kind asked for, journaled as steps. */
export async function runSecretRotation(deps: BackupDeps, op: Operation, progress: BackupProgress): Promise<void> {
  const runtime = deps.backups.runtime;
  if (!runtime?.rotateDatabasePassword) throw new BbwsError('RUNTIME_UNAVAILABLE', 'This runtime cannot rotate database passwords.');
  const kinds = op.input.secrets as RotatableSecret[];
  if (kinds.includes('db')) await runtime.rotateDatabasePassword(op.tenantId, (step) => progress(`db: ${step}`));
}
