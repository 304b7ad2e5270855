/**
 * The site and template commands of `bbws`, run as a child process against the whole platform with
 * real MariaDB, php-fpm, nginx and WordPress: sites are named by name, `sites update` changes what
 * WordPress serves, `templates get` and `templates preview` show a template and try it out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bbws } from '../support/cli-process.js';
import { type LocalPlatform, startLocalPlatform } from '../support/platform-local-harness.js';

const TENANT = 'clisites';

describe('bbws sites and templates against the local platform', () => {
  let p: LocalPlatform;
  let siteId: string;
  beforeAll(async () => {
    p = await startLocalPlatform();
    const created = await p.api('POST', '/v1.0/tenants', { tenantName: TENANT });
    expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    const site = await bbws('sites', 'create', TENANT, 'shop', '--title', 'Corner Shop', '--admin-email', 'me@example.com', '--wait', '--json', '--data-dir', p.dataDir);
    expect(site.code, site.stderr).toBe(0);
    siteId = JSON.parse(site.stdout).siteId;
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
  }, 60_000);

  it('sites get takes the site name as well as its id', async () => {
    const byName = await bbws('sites', 'get', TENANT, 'shop', '--json', '--data-dir', p.dataDir);
    expect(byName.code, byName.stderr).toBe(0);
    expect(JSON.parse(byName.stdout)).toMatchObject({ siteId, siteName: 'shop', status: 'ACTIVE' });
    const byId = await bbws('--data-dir', p.dataDir, 'sites', 'get', TENANT, siteId);
    expect(byId.stdout).toMatch(/name\s+shop/);
    const none = await bbws('sites', 'get', TENANT, 'nosuch', '--data-dir', p.dataDir);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no site with id or name "nosuch".*bbws sites list clisites/);
  });

  it('sites update changes the title, host names and options that WordPress serves', async () => {
    const extra = `blog.${TENANT}.wpdev.localhost`;
    const r = await bbws('sites', 'update', TENANT, 'shop', '--title', 'Corner Shop Two', '--add-host', extra, '--option', 'blogdescription=Fresh bread daily', '--option', 'posts_per_page=5', '--wait', '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/status\s+ACTIVE/);
    const site = (await p.api('GET', `/v1.0/tenants/${TENANT}/sites/${siteId}`)).body;
    expect(site.title).toBe('Corner Shop Two');
    expect(site.hostnames).toContain(extra);
    const home = await p.waitFor('the new host name to serve the new title', async () => {
      const res = await p.edge(extra);
      return res.status === 200 && res.body.includes('Corner Shop Two') ? res : undefined;
    });
    expect(home.body).toMatch(/Fresh bread daily/);

    const primary = await bbws('sites', 'update', TENANT, 'shop', '--remove-host', site.hostnames[0], '--data-dir', p.dataDir);
    expect(primary.code).toBe(2);
    expect(primary.stderr).toMatch(/is the site's own host name and stays/);
    const nothing = await bbws('sites', 'update', TENANT, 'shop', '--data-dir', p.dataDir);
    expect(nothing.stderr).toMatch(/Nothing to change/);
    const removed = await bbws('sites', 'update', TENANT, 'shop', '--remove-host', extra, '--wait', '--json', '--data-dir', p.dataDir);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout).site.hostnames).not.toContain(extra);
  }, 120_000);

  it('templates get shows what a template sets up; templates preview makes a temporary site with it', async () => {
    const got = await bbws('templates', 'get', 'business-starter', '--data-dir', p.dataDir);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(/theme\s+twentytwentythree/);
    expect(got.stdout).toMatch(/pages\s+Home \(front page\), Services/);
    expect(got.stdout).toMatch(/options\s+.*blogdescription=Quality services/);
    const missing = await bbws('templates', 'get', 'nosuch', '--data-dir', p.dataDir);
    expect(missing.stderr).toMatch(/404 TEMPLATE_NOT_FOUND/);

    const preview = await bbws('templates', 'preview', 'business-starter', '--tenant', TENANT, '--wait', '--json', '--data-dir', p.dataDir);
    expect(preview.code, preview.stderr).toBe(0);
    const out = JSON.parse(preview.stdout);
    expect(out.expiresAt).toBeTruthy();
    expect(out.site).toMatchObject({ status: 'ACTIVE', environment: 'staging', templateId: 'business-starter' });
    const page = await p.edge(new URL(out.site.url).hostname);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/Quality services, close to you/);
  }, 180_000);
});
