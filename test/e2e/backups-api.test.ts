/**
 * Backups through the API on the whole platform (real MariaDB, php-fpm, nginx, WordPress, restic):
 * site-level self-service for tenant-admins, operator routes, restore with checkpoint and undo,
 * tenancy (another tenant's backups are 404), bad input (stable codes, nothing changed).
 */
import { chown, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/adapters/runtime/local/local-runtime.js';
import { createTenantAccess, type LocalTenantAccess } from '../../src/adapters/wordpress/local/create-tenant-access.js';
import { createApiClient } from '../../src/cli/api-client.js';
import { checkBackups } from '../../src/cli/doctor/alarm-backup-checks.js';
import { startLocalPlatform, type LocalPlatform } from '../support/platform-local-harness.js';

describe('backups API (end to end)', () => {
  let p: LocalPlatform;
  let access: LocalTenantAccess;
  const T = 'bkagency';
  const OTHER = 'bkother';
  let siteId: string;
  let base: string;
  const title = async () => (await p.edge(`shop.${T}.wpdev.localhost`)).body.match(/<title>([^<]*)<\/title>/)?.[1];
  const postTitles = async () => (await access.query<{ t: string }>(`SELECT post_title AS t FROM s${siteId}_posts WHERE post_type = 'post' AND post_status = 'publish' ORDER BY ID`)).map((r) => r.t);

  beforeAll(async () => {
    p = await startLocalPlatform();
    for (const name of [T, OTHER]) {
      const created = await p.api('POST', '/v1.0/tenants', { tenantName: name });
      expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    }
    const site = await p.api('POST', `/v1.0/tenants/${T}/sites`, { siteName: 'shop', title: 'Corner Shop', adminEmail: 'owner@example.com' });
    expect(site.status, JSON.stringify(site.body)).toBe(202);
    siteId = site.body.siteId;
    expect((await p.waitForOperation(site.body.operationId)).status).toBe('SUCCEEDED');
    base = `/v1.0/tenants/${T}/sites/${siteId}/backups`;
    access = await createTenantAccess(p.platform.runtime as LocalRuntime, p.platform.deps.secrets, T);
  }, 240_000);
  afterAll(async () => {
    await access?.close();
    await p?.stop();
  });

  let backupId: string;

  it('a tenant-admin backs up its site (202 + operation with steps), and it lists as UNVERIFIED', async () => {
    const token = await p.token('tenant-admin', T);
    const res = await p.api('POST', base, {}, token);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    backupId = res.body.backupId;
    const op = await p.waitForOperation(res.body.operationId);
    expect(op.status, JSON.stringify(op)).toBe('SUCCEEDED');
    expect(op.steps.map((s: any) => s.name)).toContain('snapshot to the repository (restic)');
    const list = await p.api('GET', base, undefined, token);
    expect(list.status).toBe(200);
    expect(list.body.backups).toHaveLength(1);
    expect(list.body.backups[0]).toMatchObject({ backupId, scope: 'site', siteId, verification: { status: 'UNVERIFIED' } });
    expect(list.body.backups[0].paths).toBeUndefined(); // host paths are for operators only
  }, 120_000);

  it("another tenant's admin gets 404 for the list, the restore and a backup of it", async () => {
    const other = await p.token('tenant-admin', OTHER);
    expect((await p.api('GET', base, undefined, other)).status).toBe(404);
    expect((await p.api('POST', `${base}/${backupId}/restore`, { inPlace: true }, other)).status).toBe(404);
    expect((await p.api('POST', base, {}, other)).status).toBe(404);
    // Nor can it restore this tenant's backup onto its own site path.
    const res = await p.api('POST', `/v1.0/tenants/${OTHER}/sites/${siteId}/backups/${backupId}/restore`, { inPlace: true }, other);
    expect(res.status).toBe(404);
    // A backup is reached only under its own tenant and site, whoever asks.
    const wrongPath = await p.api('POST', `/v1.0/tenants/${OTHER}/sites/${siteId}/backups/${backupId}/restore`, { inPlace: true });
    expect(wrongPath.status, JSON.stringify(wrongPath.body)).toBe(404);
    // Operator routes are platform-admin only.
    expect((await p.api('GET', '/v1.0/backups', undefined, other)).status).toBe(403);
  });

  it('bad input gets stable codes and changes nothing', async () => {
    const before = (await p.api('GET', '/v1.0/backups')).body.backups.length;
    expect((await p.api('POST', `${base}/bk-doesnotexist/restore`, { inPlace: true })).body.error.code).toBe('BACKUP_NOT_FOUND');
    expect((await p.api('POST', `${base}/${backupId}/restore`, {})).status).toBe(400);
    expect((await p.api('POST', '/v1.0/backups', { tenantId: 'nosuchtenant' })).body.error.code).toBe('TENANT_NOT_FOUND');
    expect((await p.api('POST', '/v1.0/backups', { tenantId: T, type: 'weekly' })).status).toBe(400);
    expect((await p.api('POST', '/v1.0/backups/prune', { retention: '7x' })).body.error.code).toBe('BACKUP_RETENTION_INVALID');
    expect((await p.api('POST', '/v1.0/backups/undo-restore', { tenantId: OTHER })).body.error.code).toBe('BACKUP_NO_CHECKPOINT');
    expect((await p.api('GET', '/v1.0/backups')).body.backups.length).toBe(before);
  });

  it('operator verify, then restore in place with a checkpoint, then undo back to the checkpoint', async () => {
    const v = await p.api('POST', `/v1.0/backups/${backupId}/verify`);
    expect(v.status).toBe(202);
    expect((await p.waitForOperation(v.body.operationId)).status).toBe('SUCCEEDED');
    expect((await p.api('GET', `/v1.0/backups/${backupId}`)).body.verification.status).toBe('VERIFIED');
    // The doctor's daily check: a verified backup passes; two days later it is stale.
    const client = await createApiClient({ dataDir: p.dataDir, apiUrl: p.platform.apiUrl ?? undefined });
    expect((await checkBackups(client)).result).toMatchObject({ status: 'pass' });
    const later = (await checkBackups(client, Date.now() + 72 * 3_600_000)).result;
    expect(later).toMatchObject({ status: 'warn', detail: expect.stringContaining(`${T} (last verified backup`), next: expect.stringContaining('bbws backup verify --latest') });

    await access.query(`UPDATE s${siteId}_options SET option_value = 'Changed Title' WHERE option_name = 'blogname'`);
    expect(await title()).toContain('Changed Title');
    const r = await p.api('POST', `${base}/${backupId}/restore`, { inPlace: true }, await p.token('tenant-admin', T));
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const op = await p.waitForOperation(r.body.operationId);
    expect(op.status, JSON.stringify(op)).toBe('SUCCEEDED');
    expect(op.steps.map((s: any) => s.name)).toEqual(expect.arrayContaining(['checkpoint backup of the target', 'swap database tables in']));
    expect(await title()).toContain('Corner Shop');
    const checkpoint = (await p.api('GET', `/v1.0/backups?tenantId=${T}`)).body.backups.find((b: any) => b.reason === 'checkpoint');
    expect(checkpoint).toBeTruthy();

    const u = await p.api('POST', '/v1.0/backups/undo-restore', { tenantId: T, siteId });
    expect(u.status, JSON.stringify(u.body)).toBe(202);
    expect((await p.waitForOperation(u.body.operationId)).status).toBe('SUCCEEDED');
    expect(await title()).toContain('Changed Title');
    expect(await postTitles()).toEqual(['Hello world!']);
  }, 180_000);

  it('restore to a new tenant serves the same homepage title on its own host; the original is untouched; secrets rotated', async () => {
    const b = await p.api('POST', '/v1.0/backups', { tenantId: T });
    expect(b.status, JSON.stringify(b.body)).toBe(202);
    expect((await p.waitForOperation(b.body.operationId)).status).toBe('SUCCEEDED');
    const originalTitle = await title();
    // Onto an existing tenant: refused, nothing changes.
    const taken = await p.api('POST', `/v1.0/backups/${b.body.backupId}/restore`, { toTenant: OTHER });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('RESTORE_TARGET_EXISTS');
    const site = (await p.api('POST', `/v1.0/backups/${backupId}/restore`, { toTenant: 'bkcopy' })).body;
    expect(site.error.code).toBe('VALIDATION_FAILED'); // a site backup restores in place only

    const r = await p.api('POST', `/v1.0/backups/${b.body.backupId}/restore`, { toTenant: 'bkcopy' });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const op = await p.waitForOperation(r.body.operationId, 240_000);
    expect(op.status, JSON.stringify(op)).toBe('SUCCEEDED');
    const copyHost = `shop.bkcopy.wpdev.localhost`;
    const home = await p.waitFor('the copy to serve', async () => {
      const res = await p.edge(copyHost);
      return res.status === 200 ? res : undefined;
    });
    expect(home.body.match(/<title>([^<]*)<\/title>/)?.[1]).toBe(originalTitle);
    // Links point at the copy's own host, not the original's.
    expect(home.body).toContain(copyHost);
    expect(home.body).not.toContain(`shop.${T}.wpdev.localhost`);
    const sites = (await p.api('GET', '/v1.0/tenants/bkcopy/sites')).body.sites;
    expect(sites.map((s: any) => [s.siteId, s.hostnames[0], s.status])).toEqual([[siteId, copyHost, 'ACTIVE']]);
    // The original still serves, unchanged.
    expect(await title()).toBe(originalTitle);
    // Rotated: the copy's admin password differs from the original's, and the users' hashes differ.
    const secretOf = async (t: string) => p.platform.deps.secrets.get(`dev-${t}-site-${siteId}-admin`);
    expect(await secretOf('bkcopy')).toBeTruthy();
    expect(JSON.parse((await secretOf('bkcopy'))!).password).not.toBe(JSON.parse((await secretOf(T))!).password);
    const copyAccess = await createTenantAccess(p.platform.runtime as LocalRuntime, p.platform.deps.secrets, 'bkcopy');
    const hash = async (a: LocalTenantAccess) => (await a.query<{ h: string }>(`SELECT user_pass AS h FROM s${siteId}_users ORDER BY ID LIMIT 1`))[0]!.h;
    expect(await hash(copyAccess)).not.toBe(await hash(access));
    await copyAccess.close();
  }, 300_000);

  it('a hard delete can be undone: the deleted tenant restores under its own name, its site ACTIVE and serving', async () => {
    const GONE = 'bkgone';
    const created = await p.api('POST', '/v1.0/tenants', { tenantName: GONE });
    expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    const made = await p.api('POST', `/v1.0/tenants/${GONE}/sites`, { siteName: 'blog', title: 'Deleted By Mistake', adminEmail: 'owner@example.com' });
    expect((await p.waitForOperation(made.body.operationId)).status).toBe('SUCCEEDED');
    const host = `blog.${GONE}.wpdev.localhost`;
    const titleOf = async () => (await p.edge(host)).body.match(/<title>([^<]*)<\/title>/)?.[1];
    expect(await titleOf()).toContain('Deleted By Mistake');
    const b = await p.api('POST', '/v1.0/backups', { tenantId: GONE });
    expect((await p.waitForOperation(b.body.operationId)).status).toBe('SUCCEEDED');

    const del = await p.api('DELETE', `/v1.0/tenants/${GONE}?mode=hard`);
    expect(del.status, JSON.stringify(del.body)).toBe(202);
    expect((await p.waitForOperation(del.body.operationId, 120_000)).status).toBe('SUCCEEDED');
    expect((await p.api('GET', `/v1.0/tenants/${GONE}/instance`)).body.provisioningState).toBe('DEPROVISIONED');
    // Its backups outlive it (kept by the retention like any other).
    expect((await p.api('GET', `/v1.0/backups/${b.body.backupId}`)).status).toBe(200);

    const r = await p.api('POST', `/v1.0/backups/${b.body.backupId}/restore`, { toTenant: GONE });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const op = await p.waitForOperation(r.body.operationId, 240_000);
    expect(op.status, JSON.stringify(op)).toBe('SUCCEEDED');
    expect((await p.api('GET', `/v1.0/tenants/${GONE}/instance`)).body.provisioningState).toBe('ACTIVE');
    const sites = (await p.api('GET', `/v1.0/tenants/${GONE}/sites`)).body.sites;
    expect(sites.map((s: any) => [s.siteId, s.hostnames[0], s.status])).toEqual([[made.body.siteId, host, 'ACTIVE']]);
    await p.waitFor('the restored site to serve', async () => ((await titleOf())?.includes('Deleted By Mistake') ? true : undefined));
  }, 400_000);

  it('a restore that fails after its database swap is undone to its own checkpoint', async () => {
    const blogname = async () => (await access.query<{ v: string }>(`SELECT option_value AS v FROM s${siteId}_options WHERE option_name = 'blogname'`))[0]!.v;
    await access.query(`UPDATE s${siteId}_options SET option_value = 'Before Failing Restore' WHERE option_name = 'blogname'`);
    // A real fault after the swap: the site's uploads parent is no longer the tenant's, so the
    // tenant cannot move the restored uploads in (as a wrong chown by hand would do).
    const sitesDir = join(access.contentDir, 'uploads', 'sites');
    const owner = await stat(sitesDir);
    await chown(sitesDir, 0, 0);
    try {
      const r = await p.api('POST', `${base}/${backupId}/restore`, { inPlace: true });
      const op = await p.waitForOperation(r.body.operationId);
      expect(op.status).toBe('FAILED');
      expect(op.error).toContain(`restorable from checkpoint ${r.body.checkpointId}`);
      expect(await blogname()).toBe('Corner Shop'); // the database was swapped, the files were not
    } finally {
      await chown(sitesDir, owner.uid, owner.gid);
    }
    // The cause fixed, undo returns to the failed restore's checkpoint (not an older one, not "no checkpoint").
    const u = await p.api('POST', '/v1.0/backups/undo-restore', { tenantId: T, siteId });
    expect(u.status, JSON.stringify(u.body)).toBe(202);
    expect((await p.waitForOperation(u.body.operationId)).status).toBe('SUCCEEDED');
    expect(await blogname()).toBe('Before Failing Restore');
    expect(await title()).toContain('Before Failing Restore');
    // Undone: nothing more to undo.
    expect((await p.api('POST', '/v1.0/backups/undo-restore', { tenantId: T, siteId })).body.error.code).toBe('BACKUP_NO_CHECKPOINT');
  }, 180_000);

  it('prune --dry-run lists what the policy would remove and removes nothing', async () => {
    const res = await p.api('POST', '/v1.0/backups/prune', { dryRun: true, retention: '1d' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // All backups were taken today: one per group (each tenant, each site) is kept, the rest would go.
    const all = (await p.api('GET', '/v1.0/backups')).body.backups;
    const groups = new Set(all.map((b: any) => `${b.scope}/${b.tenantId}/${b.siteId}`));
    expect(groups.size).toBeGreaterThanOrEqual(2);
    expect(res.body.removed.length).toBe(all.length - groups.size);
    expect((await p.api('GET', '/v1.0/backups')).body.backups.length).toBe(all.length);
  }, 60_000);
});
