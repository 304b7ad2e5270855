import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/adapters/runtime/local/local-runtime.js';
import { createTenantAccess } from '../../src/adapters/wordpress/local/create-tenant-access.js';
import type { TenantAccess } from '../../src/adapters/wordpress/local/tenant-access.js';
import { removeExpiredPreviews } from '../../src/app/sites/site-housekeeping.js';
import type { LocalPlatform } from '../support/platform-local-harness.js';
import { zipFixturePlugin, zipPluginDir, PLUGIN_FIXTURES } from '../support/plugin-zips.js';

/**
 * Seed 001 on real WordPress: sites, templates, vetted plugins, clone, promote, DLQ, tenancy. Run
 * by sites.test.ts (the control plane on SQLite) and sites-aws.test.ts (on DynamoDB + SQS + SNS).
 */
export function describeSitesEndToEnd(name: string, startLocalPlatform: () => Promise<LocalPlatform>): void {
describe(`sites on real WordPress (end to end, ${name})`, () => {
  let p: LocalPlatform;
  let access: TenantAccess;
  const T = 'agency';
  const sites = `/v1.0/tenants/${T}/sites`;
  const host = (name: string) => `${name}.${T}.wpdev.localhost`;
  const option = async (siteId: string, name: string) =>
    (await access.query<{ option_value: string }>(`SELECT option_value FROM s${siteId}_options WHERE option_name = ?`, [name]))[0]?.option_value;
  const tables = async (siteId: string) => (await access.query<{ t: string }>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?', [`s${siteId}\\_%`])).map((r) => r.t);
  const createSite = async (body: Record<string, unknown>) => {
    const res = await p.api('POST', sites, { title: 'Site', adminEmail: 'owner@example.com', ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body;
  };
  let shop: string;
  const received: Array<{ type: string; signature: string; body: any }> = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d)).on('end', () => {
      received.push({ type: String(req.headers['x-bbws-event']), signature: String(req.headers['x-bbws-signature']), body: JSON.parse(body) });
      res.writeHead(200).end();
    });
  });

  beforeAll(async () => {
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    p = await startLocalPlatform();
    const hook = await p.api('POST', '/v1.0/webhooks', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    const created = await p.api('POST', '/v1.0/tenants', { tenantName: T });
    expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    access = await createTenantAccess(p.platform.runtime as LocalRuntime, p.platform.deps.secrets, T);
  }, 180_000);
  afterAll(async () => {
    await (access as unknown as { close?: () => Promise<void> })?.close?.();
    await p?.stop();
    receiver.close();
  });

  it('creates a site with a template: homepage 200 with its title; theme and pages in its own tables', async () => {
    const res = await createSite({ siteName: 'shop', title: 'Corner Shop', templateId: 'business-starter' });
    expect(res).toMatchObject({ status: 'PROVISIONING', adminUser: 'admin' });
    expect(res.adminPassword.length).toBeGreaterThanOrEqual(20);
    shop = res.siteId;
    const op = await p.waitForOperation(res.operationId);
    expect(op.status, JSON.stringify(op)).toBe('SUCCEEDED');
    expect(op.steps.map((s: any) => s.name)).toEqual(['route-site', 'install-wordpress', 'apply-template:business-starter']);
    const site = (await p.api('GET', `${sites}/${shop}`)).body;
    expect(site).toMatchObject({ status: 'ACTIVE', siteName: 'shop', hostnames: [host('shop')] });
    expect(JSON.stringify(site)).not.toContain(res.adminPassword);
    const home = await p.edge(host('shop'));
    expect(home.status).toBe(200);
    expect(home.body).toContain('Corner Shop');
    expect(await option(shop, 'stylesheet')).toBe('twentytwentythree');
    const pages = await access.query<{ post_title: string }>(`SELECT post_title FROM s${shop}_posts WHERE post_type = 'page' AND post_status = 'publish' ORDER BY post_title`);
    expect(pages.map((r) => r.post_title)).toEqual(expect.arrayContaining(['Home', 'Services', 'About us', 'Contact']));
    const list = (await p.api('GET', sites)).body.sites;
    expect(list.map((s: any) => s.siteId)).toEqual([shop]);
    const metrics = await fetch(`${p.platform.apiUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^SiteCreated\{[^}]*\} 1$/m);
    expect(metrics).toContain('SiteCreationDuration_bucket');
  }, 120_000);

  it('installs a vetted plugin (201, active) and refuses a blocklisted or known-vulnerable one with 422 and nothing on disk', async () => {
    await p.platform.deps.marketplace.publish(await zipFixturePlugin('hello-bbws'));
    const pluginDir = join(access.contentDir, 'plugins', 'hello-bbws');
    const policyDir = join(p.dataDir, 'plugins');
    writeFileSync(join(policyDir, 'blocklist.json'), JSON.stringify({ entries: [{ slug: 'hello-bbws', versions: '*', reason: 'test: blocked' }] }));
    const blocked = await p.api('POST', `${sites}/${shop}/plugins`, { slug: 'hello-bbws' });
    expect(blocked.status).toBe(422);
    expect(blocked.body.error.code).toBe('PLUGIN_SECURITY_VIOLATION');
    expect(blocked.body.error.details.violations.map((v: any) => v.rule)).toContain('blocklisted');
    rmSync(join(policyDir, 'blocklist.json'));
    writeFileSync(join(policyDir, 'vulnerabilities.json'), JSON.stringify({ vulnerabilities: [{ id: 'TEST-1', slug: 'hello-bbws', affected: ['<=9.9'], severity: 'high', title: 'test' }] }));
    const vulnerable = await p.api('POST', `${sites}/${shop}/plugins`, { slug: 'hello-bbws' });
    expect(vulnerable.status).toBe(422);
    expect(vulnerable.body.error.details.violations.map((v: any) => v.rule)).toContain('known-vulnerable');
    rmSync(join(policyDir, 'vulnerabilities.json'));
    expect(existsSync(pluginDir)).toBe(false);

    const ok = await p.api('POST', `${sites}/${shop}/plugins`, { slug: 'hello-bbws' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body).toMatchObject({ slug: 'hello-bbws', active: true });
    expect(await option(shop, 'active_plugins')).toContain('hello-bbws');
    expect(await option(shop, 'hello_bbws_active')).toBe('yes');
    const installed = (await p.api('GET', `/v1.0/tenants/${T}/plugins`)).body.plugins;
    expect(installed).toEqual([expect.objectContaining({ slug: 'hello-bbws', siteId: shop, active: true })]);
    const off = await p.api('PATCH', `${sites}/${shop}/plugins/hello-bbws`, { active: false });
    expect(off.body.active).toBe(false);
    expect(await option(shop, 'active_plugins')).not.toContain('hello-bbws');
  }, 120_000);

  it('clones a site (content copied, URLs rewritten), promotes it back with a backup, and undoes the promote', async () => {
    const cloned = await p.api('POST', `${sites}/${shop}/clone`, { siteName: 'shopstaging' });
    expect(cloned.status).toBe(202);
    const staging = cloned.body.siteId;
    expect((await p.waitForOperation(cloned.body.operationId)).status).toBe('SUCCEEDED');
    expect(await option(staging, 'home')).toContain(host('shopstaging'));
    expect(await option(staging, 'blogname')).toBe('Corner Shop');
    expect((await p.edge(host('shopstaging'))).status).toBe(200);
    // Staging gets a new post whose serialized meta holds its own URL.
    const stagingUrl = (await option(staging, 'home'))!;
    await access.query(`INSERT INTO s${staging}_posts (post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, post_status, post_name, to_ping, pinged, post_modified, post_modified_gmt, post_content_filtered, guid, post_type) VALUES (1, NOW(), NOW(), ?, 'Staging news', '', 'publish', 'staging-news', '', '', NOW(), NOW(), '', ?, 'post')`, [`<a href="${stagingUrl}/shop">shop</a>`, `${stagingUrl}/?p=999`]);
    await access.query(`INSERT INTO s${staging}_options (option_name, option_value, autoload) VALUES ('bbws_test_links', ?, 'no')`, [`a:1:{s:4:"link";s:${Buffer.byteLength(stagingUrl)}:"${stagingUrl}";}`]);

    const promoted = await p.api('POST', `${sites}/${staging}/promote`, { targetSiteId: shop, scope: ['database', 'uploads'] });
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(200);
    expect(promoted.body.site).toMatchObject({ siteId: shop, canUndoPromote: true });
    const shopUrl = (await option(shop, 'home'))!;
    expect(shopUrl).toContain(host('shop'));
    const news = await access.query<{ post_content: string }>(`SELECT post_content FROM s${shop}_posts WHERE post_name = 'staging-news'`);
    expect(news[0].post_content).toContain(`${shopUrl}/shop`);
    expect(await option(shop, 'bbws_test_links')).toBe(`a:1:{s:4:"link";s:${Buffer.byteLength(shopUrl)}:"${shopUrl}";}`);
    expect((await p.edge(host('shop'))).status).toBe(200);

    const undo = await p.api('POST', `${sites}/${shop}/promote/undo`);
    expect(undo.status).toBe(200);
    expect(undo.body.site.canUndoPromote).toBe(false);
    expect(await access.query(`SELECT ID FROM s${shop}_posts WHERE post_name = 'staging-news'`)).toEqual([]);
    expect(await option(shop, 'bbws_test_links')).toBeUndefined();

    const del = await p.api('DELETE', `${sites}/${staging}`);
    expect(del.status).toBe(202);
    expect((await p.waitForOperation(del.body.operationId)).status).toBe('SUCCEEDED');
    expect(await tables(staging)).toEqual([]);
    expect(existsSync(access.uploadsDir(staging))).toBe(false);
    expect((await p.api('GET', `${sites}/${staging}`)).status).toBe(404);
    expect((await p.edge(host('shopstaging'))).status).not.toBe(200);
  }, 180_000);

  it('a site job that keeps failing reaches the DLQ; after the cause is fixed, dlq redrive finishes it', async () => {
    await p.platform.deps.templates.add({
      templateId: 'needs-later-plugin', name: 'Needs a plugin', description: 'uses a plugin not yet published', theme: 'twentytwentythree',
      plugins: [{ slug: 'later-plugin' }], options: {}, pages: [],
    });
    const res = await createSite({ siteName: 'later', templateId: 'needs-later-plugin' });
    const dlq = 'bbws-wp-site-operations-dlq-dev';
    await p.waitFor('the job in the DLQ', async () => (await p.api('GET', '/v1.0/admin/queues')).body.items.find((q: any) => q.queue === dlq).visible === 1, 60_000);
    const stuck = (await p.api('GET', `/v1.0/operations/${res.operationId}`)).body;
    expect(stuck.status).toBe('IN_PROGRESS');
    expect(stuck.steps.filter((s: any) => s.name === 'install-plugin:later-plugin').map((s: any) => s.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    // The fix: an operator publishes the plugin.
    await p.platform.deps.marketplace.publish(
      await zipPluginDir(join(PLUGIN_FIXTURES, 'hello-bbws'), { topName: 'later-plugin', overrides: { 'later-plugin.php': "<?php\n/*\nPlugin Name: Later plugin\nVersion: 1.0.0\n*/\n" } }),
    );
    expect((await p.api('POST', `/v1.0/admin/queues/${dlq}/redrive`)).body.moved).toBe(1);
    const op = await p.waitForOperation(res.operationId);
    expect(op.status, JSON.stringify(op)).toBe('SUCCEEDED');
    expect((await p.api('GET', `${sites}/${res.siteId}`)).body).toMatchObject({ status: 'ACTIVE', plugins: [expect.objectContaining({ slug: 'later-plugin', active: true })] });
    expect(await option(res.siteId, 'active_plugins')).toContain('later-plugin');
  }, 180_000);

  it('previews a template as a temporary site that is removed after its expiry', async () => {
    const res = await p.api('POST', '/v1.0/templates/portfolio/preview', { tenantId: T });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeGreaterThan(50 * 60_000);
    expect((await p.waitForOperation(res.body.operationId)).status).toBe('SUCCEEDED');
    const preview = (await p.api('GET', `${sites}/${res.body.siteId}`)).body;
    expect(preview).toMatchObject({ status: 'ACTIVE', environment: 'staging', templateId: 'portfolio' });
    expect(await option(res.body.siteId, 'stylesheet')).toBe('twentytwentyone');
    const host = new URL(res.body.url).hostname;
    expect((await p.edge(host)).status).toBe(200);
    // An hour later the reconciler removes it.
    const removed = await removeExpiredPreviews({ ...p.platform.deps, now: () => Date.now() + 61 * 60_000 });
    expect(removed).toEqual([res.body.siteId]);
    await p.waitFor('the preview deleted', async () => (await p.api('GET', `${sites}/${res.body.siteId}`)).status === 404);
    expect(await tables(res.body.siteId)).toEqual([]);
  }, 120_000);

  it('sent signed webhooks for site created, promoted and deleted', async () => {
    await p.waitFor('webhook deliveries', async () => ['site.created', 'site.promoted', 'site.deleted'].every((t) => received.some((r) => r.type === t)), 30_000);
    for (const r of received) {
      expect(r.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(r.body).toMatchObject({ type: r.type, tenantId: T, topic: 'bbws-wp-notifications-dev' });
    }
    expect(JSON.stringify(received)).not.toMatch(/adminPassword|password/i);
  });

  it("a tenant-admin token cannot touch another tenant's sites", async () => {
    const other = await p.token('tenant-admin', 'othertenant');
    expect((await p.api('GET', sites, undefined, other)).status).toBe(404);
    expect((await p.api('GET', `${sites}/${shop}`, undefined, other)).status).toBe(404);
    expect((await p.api('DELETE', `${sites}/${shop}`, undefined, other)).status).toBe(404);
    expect((await p.api('POST', `${sites}/${shop}/plugins`, { slug: 'hello-bbws' }, other)).status).toBe(404);
    expect((await p.api('POST', sites, { siteName: 'intruder', title: 'x', adminEmail: 'a@b.co' }, other)).status).toBe(404);
    const own = await p.token('tenant-admin', T);
    expect((await p.api('GET', `${sites}/${shop}`, undefined, own)).status).toBe(200);
  });

  it('refuses bad site input with 4xx and changes nothing', async () => {
    const before = JSON.stringify((await p.api('GET', sites)).body);
    for (const [body, code] of [
      [{ siteName: 'Bad Name', title: 't', adminEmail: 'a@b.co' }, 'VALIDATION_FAILED'],
      [{ siteName: 'ok-name', title: 't', adminEmail: 'not-an-email' }, 'VALIDATION_FAILED'],
      [{ siteName: 'ok-name', title: 't', adminEmail: 'a@b.co', templateId: 'nope' }, 'TEMPLATE_NOT_FOUND'],
      [{ siteName: 'shop', title: 't', adminEmail: 'a@b.co' }, 'SITE_EXISTS'],
      [{ siteName: 'ok-name', title: 't', adminEmail: 'a@b.co', hostnames: [host('shop')] }, 'HOSTNAME_TAKEN'],
      [{ siteName: 'ok-name', title: 't', adminEmail: 'a@b.co', extra: 1 }, 'VALIDATION_FAILED'],
    ] as const) {
      const res = await p.api('POST', sites, body);
      expect({ body, code: res.body.error?.code }).toEqual({ body, code });
    }
    expect((await p.api('POST', `${sites}/${shop}/plugins`, { slug: 'no-such-plugin' })).body.error.code).toBe('PLUGIN_NOT_FOUND');
    expect((await p.api('POST', `${sites}/${shop}/promote`, { targetSiteId: shop })).status).toBe(400);
    expect(JSON.stringify((await p.api('GET', sites)).body)).toBe(before);
  });

  it('hard deprovisioning the tenant removes its sites\' routes too', async () => {
    expect((await p.edge(host('shop'))).status).toBe(200);
    const del = await p.api('DELETE', `/v1.0/tenants/${T}?mode=hard`);
    expect(del.status).toBe(202);
    expect((await p.waitForOperation(del.body.operationId)).status).toBe('SUCCEEDED');
    expect((await p.edge(host('shop'))).status).toBe(404);
  }, 120_000);
});
}
