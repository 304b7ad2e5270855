/**
 * The installer of a fresh tenant answers only to its owner (real WordPress, php-fpm, nginx): the
 * platform's probe still gets WordPress's 302 to install.php (seed 003), install.php and
 * setup-config.php are 403 without the one-time install token, the token is exchanged once for an
 * install session, and with it the owner installs WordPress through the real installer form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { createLocalWordPress, type LocalWordPress } from '../../src/adapters/wordpress/local/local-wordpress.js';
import { probeTenant } from '../../src/adapters/runtime/local/probe.js';
import { runSteps, silentLogger, spec, startTestRuntime, type TestRuntime } from '../support/local-runtime-harness.js';
import { edgeClient } from '../support/edge-client.js';
import { join } from 'node:path';

describe('the installer answers only to the tenant\'s owner', () => {
  let t: TestRuntime;
  let wp: LocalWordPress;
  const host = 'fresh.wpdev.localhost';

  beforeAll(async () => {
    t = await startTestRuntime('dev');
    await runSteps(t.runtime.provisionSteps(spec('fresh')));
    wp = createLocalWordPress({ runtime: t.runtime, secrets: createLocalSecrets({ dir: join(t.dataDir, 'secrets') }), config: t.runtime.config, logger: silentLogger() });
  });
  afterAll(async () => {
    await wp?.close();
    await t?.cleanup();
  });

  it("the platform's probe still gets 302 to install.php; the installer itself is 403 to a stranger", async () => {
    const probe = await probeTenant({ edgePort: t.edgePort, hostname: host, basicAuth: null });
    expect(probe).toMatchObject({ ok: true, status: 302 });
    expect(probe.location).toContain('/wp-admin/install.php');
    const stranger = edgeClient(t.edgePort, host);
    for (const path of ['/wp-admin/install.php', '/wp-admin/install.php?step=1', '/wp-admin/setup-config.php', '/wp-admin/install.php?bbws_install_token=guess']) {
      const r = await stranger.get(path);
      expect(r.status, path).toBe(403);
      expect(r.text).toContain('install link');
    }
    const post = await stranger.request('POST', '/wp-admin/install.php?step=2', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'weblog_title=Mine&user_name=evil&admin_password=x&admin_password2=x&admin_email=e%40example.com' });
    expect(post.status).toBe(403);
  });

  it('with the install link the owner installs WordPress; the link works once', async () => {
    const { installPath } = await wp.issueInstallToken('fresh');
    expect(installPath).toMatch(/^\/wp-admin\/install\.php\?bbws_install_token=[A-Za-z0-9_-]{43}$/);
    const owner = edgeClient(t.edgePort, host);
    const exchanged = await owner.get(installPath);
    expect(exchanged.status).toBe(302);
    expect(exchanged.headers.location).toBe('/wp-admin/install.php');
    expect(owner.cookies.has('bbws_install')).toBe(true);
    const form = await owner.get('/wp-admin/install.php?step=1');
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="weblog_title"');
    // The link again, from another browser: already used.
    const thief = edgeClient(t.edgePort, host);
    const again = await thief.get(installPath);
    expect(again.status).toBe(403);
    expect(again.text).toContain('already used');
    const done = await owner.request('POST', '/wp-admin/install.php?step=2', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ weblog_title: 'Owner Blog', user_name: 'owner', admin_password: 'a-Long-passw0rd!', admin_password2: 'a-Long-passw0rd!', admin_email: 'owner@example.com', blog_public: '0', Submit: 'Install WordPress' }).toString(),
    });
    expect(done.status).toBe(200);
    expect(done.text).toContain('Success!');
    const home = await edgeClient(t.edgePort, host).get('/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('Owner Blog');
  });

  it('a new link replaces the previous one', async () => {
    const first = await wp.issueInstallToken('fresh');
    const second = await wp.issueInstallToken('fresh');
    expect((await edgeClient(t.edgePort, host).get(first.installPath)).status).toBe(403);
    expect((await edgeClient(t.edgePort, host).get(second.installPath)).status).toBe(302);
  });
});
