/**
 * Failed WordPress logins on a real site (nginx, php-fpm, WordPress and the guard mu-plugin):
 * each one is recorded (tenant, host, user name, address) and shown by `bbws security logins
 * --failed`; after the threshold the edge answers 429 to that address on that host only —
 * another address (127.0.0.2) and another tenant are not affected. The block raises the alarm
 * bbws-wp-login-brute-force-blocked (the evaluator runs), and its 429s are counted for the tenant.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bbws } from '../support/cli-process.js';
import { startLocalPlatform, type LocalPlatform } from '../support/platform-local-harness.js';

let p: LocalPlatform;
const T = 'loginsa';
const OTHER = 'loginsb';
beforeAll(async () => {
  p = await startLocalPlatform({ BBWS_LOGIN_MAX_FAILURES: '3', BBWS_LOGIN_WINDOW_MINUTES: '5', BBWS_LOGIN_BLOCK_MINUTES: '15' }, { alarmIntervalMs: 1000 });
  for (const t of [T, OTHER]) {
    const created = await p.api('POST', '/v1.0/tenants', { tenantName: t });
    expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    const site = await p.api('POST', `/v1.0/tenants/${t}/sites`, { siteName: 'blog', title: 'Blog', adminEmail: 'owner@example.com' });
    expect(site.status, JSON.stringify(site.body)).toBe(202);
    expect((await p.waitForOperation(site.body.operationId, 180_000)).status).toBe('SUCCEEDED');
  }
}, 400_000);
afterAll(async () => p?.stop());

function postLogin(host: string, from: string, user: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  const body = new URLSearchParams({ log: user, pwd: 'wrong-password', 'wp-submit': 'Log In' }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: p.edgePort, localAddress: from, method: 'POST', path: '/wp-login.php', headers: { host: `${host}:${p.edgePort}`, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), cookie: 'wordpress_test_cookie=WP%20Cookie%20check' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('failed logins and brute-force protection at the edge', () => {
  it('records failures, blocks the address on that host after the threshold, and nobody else', async () => {
    const host = `blog.${T}.wpdev.localhost`;
    const otherHost = `blog.${OTHER}.wpdev.localhost`;
    for (let i = 0; i < 3; i++) {
      const r = await postLogin(host, '127.0.0.1', 'mallory');
      expect(r.status).toBe(200); // the login form again, with the error
      expect(r.headers['x-bbws-login-failed']).toBeUndefined(); // hidden by the edge
    }
    await p.waitFor('the block', async () => (await postLogin(host, '127.0.0.1', 'mallory')).status === 429, 15_000);
    expect((await postLogin(host, '127.0.0.2', 'alice')).status).toBe(200);
    expect((await postLogin(otherHost, '127.0.0.1', 'bob')).status).toBe(200);

    // The login guard records what the edge logged on its next pass: wait for the last failure.
    let rows: any[] = [];
    await p.waitFor("alice's failure in the audit log", async () => {
      const shown = await bbws('security', 'logins', '--failed', '--since', '1h', '--json', '--data-dir', p.dataDir);
      expect(shown.code).toBe(0);
      rows = JSON.parse(shown.stdout).items as any[];
      return rows.some((r) => r.kind === 'LOGIN_FAILED' && r.ip === '127.0.0.2');
    }, 15_000);
    expect(rows.filter((r) => r.kind === 'LOGIN_FAILED' && r.host === host && r.user === 'mallory' && r.ip === '127.0.0.1' && r.tenant === T).length).toBeGreaterThanOrEqual(3);
    expect(rows.some((r) => r.kind === 'LOGIN_FAILED' && r.ip === '127.0.0.2' && r.user === 'alice')).toBe(true);
    expect(rows.some((r) => r.kind === 'LOGIN_BLOCKED' && r.host === host && r.ip === '127.0.0.1' && r.tenant === T)).toBe(true);
    expect(rows.some((r) => r.kind === 'LOGIN_BLOCKED' && r.host === otherHost)).toBe(false);
    const text = await bbws('security', 'logins', '--failed', '--data-dir', p.dataDir);
    expect(text.stdout).toMatch(/LOGIN_BLOCKED\s+loginsa\s+blog\.loginsa\.wpdev\.localhost/);

    const alarm = async () => (await p.api('GET', '/v1.0/alarms')).body.items.find((a: { name: string }) => a.name === 'bbws-wp-login-brute-force-blocked');
    await p.waitFor('bbws-wp-login-brute-force-blocked in ALARM', async () => (await alarm()).state === 'ALARM', 15_000);
    const metrics = async () => (await fetch(`${p.platform.apiUrl}/metrics`)).text();
    const counted = async (tenant: string) => (await metrics()).split('\n').some((l) => l.startsWith('bbws_edge_limit_responses_total{') && l.includes(`tenant="${tenant}"`) && l.includes('limit="loginBlock"'));
    await p.waitFor('the blocked 429 counted for the tenant', () => counted(T), 15_000);
    expect(await counted(OTHER)).toBe(false);
  }, 120_000);
});
