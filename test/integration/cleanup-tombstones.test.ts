/**
 * `bbws cleanup --type aggressive` and the tombstones of DELETED records, on the whole platform
 * (real MariaDB, php-fpm, nginx, restic, the SQLite store): a hard-deleted tenant and a deleted
 * site, two days old, are listed with their size and age and removed; a hard-deleted tenant that
 * still has a backup keeps its records, and that backup still restores with its sites' titles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bbws } from '../support/cli-process.js';
import { type LocalPlatform, startLocalPlatformWithTenant } from '../support/platform-local-harness.js';

const LIVE = 'tomblive';
const KEPT = 'tombkept';
const GONE = 'tombgone';
const BACK = 'tombback';

describe('bbws cleanup --type aggressive: tombstones (real platform)', () => {
  let p: LocalPlatform;
  let deletedSiteId: string;
  let keptBackupId: string;
  const twoDaysAgo = () => new Date(Date.now() - 2 * 86_400_000).toISOString();
  const ok = async (res: { body: { operationId: string } }) => expect((await p.waitForOperation(res.body.operationId, 180_000)).status).toBe('SUCCEEDED');
  const createSite = async (tenantId: string, siteName: string, title: string) => {
    const created = await p.api('POST', `/v1.0/tenants/${tenantId}/sites`, { siteName, title, adminEmail: 'me@example.com' });
    await ok(created);
    return created.body.siteId as string;
  };
  const backdateInstance = async (tenantId: string) => {
    const store = p.platform.deps.store;
    const i = (await store.getInstance(tenantId))!;
    await store.commit([{ kind: 'putInstance', instance: { ...i, updatedAt: twoDaysAgo(), version: i.version + 1 }, expectedVersion: i.version }]);
  };

  beforeAll(async () => {
    p = await startLocalPlatformWithTenant(LIVE);
    // A site of a live tenant, deleted two days ago.
    deletedSiteId = await createSite(LIVE, 'gone', 'Gone Site');
    await ok(await p.api('DELETE', `/v1.0/tenants/${LIVE}/sites/${deletedSiteId}`));
    const store = p.platform.deps.store;
    const site = (await store.getSite(LIVE, deletedSiteId))!;
    expect(site.status).toBe('DELETED');
    await store.commit([{ kind: 'putSite', site: { ...site, updatedAt: twoDaysAgo(), version: site.version + 1 }, expectedVersion: site.version }]);
    // A tenant with a site and a backup, then hard-deleted; and one hard-deleted with no backup.
    await ok(await p.api('POST', '/v1.0/tenants', { tenantName: KEPT }));
    await createSite(KEPT, 'shop', 'Kept Shop');
    const backup = await p.api('POST', '/v1.0/backups', { tenantId: KEPT });
    await ok(backup);
    keptBackupId = backup.body.backupId;
    await ok(await p.api('POST', '/v1.0/tenants', { tenantName: GONE }));
    for (const t of [KEPT, GONE]) {
      await ok(await p.api('DELETE', `/v1.0/tenants/${t}?mode=hard`));
      await backdateInstance(t);
    }
  }, 600_000);
  afterAll(async () => p?.stop(), 60_000);

  const tombstones = (items: Array<{ kind: string; name: string }>) => items.filter((i) => i.kind.endsWith('-record'));

  it('the dry run lists exactly the tombstones with size and age; the real run removes exactly those', async () => {
    const dry = await bbws('cleanup', '--type', 'aggressive', '--dry-run', '--json', '--data-dir', p.dataDir);
    expect(dry.code, dry.stderr).toBe(0);
    const items = JSON.parse(dry.stdout).items as Array<{ kind: string; name: string; bytes: number; reason: string }>;
    expect(items.map((i) => [i.kind, i.name])).toEqual([
      ['tenant-record', GONE],
      ['site-record', `${LIVE}/${deletedSiteId}`],
    ]);
    for (const i of items) {
      expect(i.bytes).toBeGreaterThan(100);
      expect(i.reason).toMatch(/ 2 d ago/);
    }
    const human = await bbws('cleanup', '--type', 'aggressive', '--dry-run', '--data-dir', p.dataDir);
    expect(human.stdout).toMatch(/Would remove 2 item\(s\)/);
    expect((await p.api('GET', `/v1.0/tenants/${GONE}`)).status).toBe(200); // nothing changed

    const r = await bbws('cleanup', '--type', 'aggressive', '--yes', '--json', '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ removed: 2, failed: [] });
    expect((await p.api('GET', `/v1.0/tenants/${GONE}`)).status).toBe(404);
    expect((await p.api('GET', `/v1.0/tenants/${LIVE}/sites/${deletedSiteId}`)).status).toBe(404);
    expect((await p.api('GET', `/v1.0/tenants/${LIVE}`)).status).toBe(200);
    expect((await p.api('GET', `/v1.0/tenants/${KEPT}`)).status).toBe(200);
    expect(await p.platform.deps.store.listSites(KEPT)).toHaveLength(1);
    expect((await p.edge(`${LIVE}.wpdev.localhost`)).status).toBe(302);
    expect(tombstones(JSON.parse((await bbws('cleanup', '--type', 'aggressive', '--dry-run', '--json', '--data-dir', p.dataDir)).stdout).items)).toEqual([]);
  }, 120_000);

  it("the hard-deleted tenant's backup (its records kept) still restores, sites' titles included", async () => {
    // Once more (idempotent): whatever aggressive removes, the backup must still restore fully.
    expect((await bbws('cleanup', '--type', 'aggressive', '--yes', '--json', '--data-dir', p.dataDir)).code).toBe(0);
    const restore = await p.api('POST', `/v1.0/backups/${keptBackupId}/restore`, { toTenant: BACK });
    expect(restore.status, JSON.stringify(restore.body)).toBe(202);
    await ok(restore);
    const sites = (await p.api('GET', `/v1.0/tenants/${BACK}/sites`)).body.sites as Array<{ siteName: string; title: string; status: string }>;
    expect(sites.map((s) => [s.siteName, s.title, s.status])).toEqual([['shop', 'Kept Shop', 'ACTIVE']]);
  }, 300_000);

  it('the hard delete is undone: the backup restores onto the deleted tenant itself, its site ACTIVE again', async () => {
    const restore = await p.api('POST', `/v1.0/backups/${keptBackupId}/restore`, { toTenant: KEPT });
    expect(restore.status, JSON.stringify(restore.body)).toBe(202);
    await ok(restore);
    expect((await p.platform.deps.store.getInstance(KEPT))?.provisioningState).toBe('ACTIVE');
    const sites = (await p.api('GET', `/v1.0/tenants/${KEPT}/sites`)).body.sites as Array<{ siteName: string; title: string; status: string; hostnames: string[] }>;
    expect(sites.map((s) => [s.siteName, s.title, s.status])).toEqual([['shop', 'Kept Shop', 'ACTIVE']]);
    expect((await p.edge(sites[0]!.hostnames[0]!)).status).toBe(200);
  }, 300_000);
});
