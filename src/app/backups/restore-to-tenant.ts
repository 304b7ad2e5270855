/**
 * `bbws restore ID --to-tenant NEW` (DynamoDB's restore-table-from-backup): a tenant backup
 * restored into a new tenant, the original untouched. The request creates the tenant (the usual
 * provisioning operation) and a RESTORE_BACKUP operation for it; the backup worker waits for the
 * new tenant to be ACTIVE, restores database and content into it, re-homes each site to the new
 * tenant's host names and rotates its secrets (admin password in the secret store, every other
 * user's password and every session replaced; DB credentials and salts are the new tenant's own),
 * then records and routes the sites.
 */
import { randomBytes } from 'node:crypto';
import type { Principal } from '../../domain/auth.js';
import { assertPlatformAdmin } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import { assertTenantId, names } from '../../domain/naming.js';
import type { Operation } from '../../domain/operation.js';
import { defaultSiteHostname, type Site } from '../../domain/site.js';
import type { BackupProgress } from '../../ports/backups.js';
import { createTenant } from '../create-tenant.js';
import { isoNow } from '../deps.js';
import { adminSecretName, wordpressOf } from '../sites/site-deps.js';
import { siteRef } from '../sites/site-records.js';
import { enqueueBackupOperation, getBackup, type BackupAccepted } from './backup-commands.js';
import { engineOf, type BackupDeps } from './backup-deps.js';

export async function requestRestoreToTenant(deps: BackupDeps, principal: Principal | null, backupId: unknown, target: unknown, correlationId: string | null): Promise<BackupAccepted & { tenantId: string; createOperationId: string }> {
  if (principal) assertPlatformAdmin(principal);
  const record = await getBackup(deps, principal, backupId);
  if (record.scope !== 'tenant' || !record.tenantId) throw new BbwsError('VALIDATION_FAILED', 'Only a tenant backup restores to a new tenant; a site backup restores in place (--in-place --yes).', { backupId: record.backupId });
  const tenantId = assertTenantId(target);
  const existing = await deps.store.getInstance(tenantId);
  if ((await deps.store.getTenant(tenantId)) && existing?.provisioningState !== 'DEPROVISIONED') throw new BbwsError('RESTORE_TARGET_EXISTS', undefined, { tenantId });
  const created = await createTenant(deps, { tenantName: tenantId }, correlationId);
  const accepted = await enqueueBackupOperation(deps, 'RESTORE_BACKUP', tenantId, { backupId: record.backupId, siteId: null, checkpointId: null, toTenant: tenantId, sourceTenantId: record.tenantId, createOperationId: created.operationId }, correlationId);
  return { ...accepted, tenantId, createOperationId: created.operationId };
}

async function waitForActive(deps: BackupDeps, tenantId: string, deadline: number): Promise<void> {
  for (;;) {
    const instance = await deps.store.getInstance(tenantId);
    if (instance?.provisioningState === 'ACTIVE') return;
    if (instance?.provisioningState === 'FAILED') throw new Error(`the new tenant ${tenantId} failed to provision: ${instance.lastError ?? 'see its operation'}`);
    if (Date.now() > deadline) throw new Error(`the new tenant ${tenantId} is not ACTIVE after waiting; its provisioning operation says why`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The worker's part (run-backup-operation.ts). */
export async function restoreIntoNewTenant(deps: BackupDeps, op: Operation, progress: BackupProgress): Promise<void> {
  const tenantId = op.tenantId;
  const record = await getBackup(deps, null, op.input.backupId);
  progress('wait for the new tenant to be ACTIVE');
  await waitForActive(deps, tenantId, Date.parse(op.deadlineAt));
  const tenantHost = names.defaultHostname(deps.env, tenantId, deps.baseDomain);
  const now = isoNow(deps);
  const sites: Site[] = [];
  for (const s of record.sites) {
    const source = record.tenantId ? await deps.store.getSite(record.tenantId, s.siteId) : undefined;
    sites.push({
      tenantId,
      siteId: s.siteId,
      siteName: s.siteName,
      title: source?.title ?? s.siteName,
      adminEmail: source?.adminEmail ?? `admin@${tenantHost}`,
      environment: source?.environment ?? 'production',
      // Custom domains stay with the original tenant: the copy answers on its own namespace.
      hostnames: [defaultSiteHostname(s.siteName, tenantHost)],
      templateId: source?.templateId ?? null,
      status: 'ACTIVE',
      lastError: null,
      promoteBackupId: null,
      plugins: source?.plugins ?? [],
      expiresAt: null,
      createdAt: now,
      updatedAt: now,
      version: 1,
    });
  }
  const passwords = new Map(sites.map((s) => [s.siteId, randomBytes(18).toString('base64url')]));
  const rotated = await engineOf(deps).restoreToNewTenant(
    record.backupId,
    tenantId,
    record.sites.map((s) => ({ siteId: s.siteId, fromHost: s.hostnames[0]!, toHost: sites.find((x) => x.siteId === s.siteId)!.hostnames[0]!, adminPassword: passwords.get(s.siteId)! })),
    progress,
  );
  progress('record and route the sites');
  const wp = wordpressOf(deps);
  for (const site of sites) {
    const adminUser = rotated.find((r) => r.siteId === site.siteId)?.adminUser ?? 'admin';
    await deps.secrets.put(adminSecretName(deps, tenantId, site.siteId), JSON.stringify({ user: adminUser, password: passwords.get(site.siteId) }));
    const current = await deps.store.getSite(tenantId, site.siteId);
    if (!current) await deps.store.commit([{ kind: 'putSite', site, expectedVersion: null }]);
    // A hard delete undone (restored onto the deleted tenant's own id): its DELETED record comes back.
    else if (current.status === 'DELETED') await deps.store.commit([{ kind: 'putSite', site: { ...site, createdAt: current.createdAt, version: current.version + 1 }, expectedVersion: current.version }]);
    await wp.routeSite(siteRef(site));
  }
}
