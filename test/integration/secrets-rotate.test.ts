/**
 * `bbws secrets list|rotate` on the whole platform (real MariaDB, php-fpm, nginx, WordPress):
 * the database password is rotated under a homepage load with 0 failed requests; the old password
 * no longer logs in, the new one does, and no value is ever shown or logged. A secret past the
 * rotation policy is listed OVERDUE and degrades /health until it is rotated.
 */
import { readdir, readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/adapters/runtime/local/local-runtime.js';
import { run } from '../../src/adapters/runtime/local/exec.js';
import type { DbCredentials } from '../../src/adapters/runtime/local/tenant-steps.js';
import { bbws, STACK_TRACE } from '../support/cli-process.js';
import { edgeClient, logInToWordPress } from '../support/edge-client.js';
import { type LocalPlatform, startLocalPlatformWithTenant } from '../support/platform-local-harness.js';

const TENANT = 'rotatedb';
const SECRET = `dev-${TENANT}-db-credentials`;
const HOST = `${TENANT}.wpdev.localhost`;

type Creds = DbCredentials;

describe('bbws secrets list / rotate (real MariaDB, php-fpm, nginx, WordPress)', () => {
  let p: LocalPlatform;
  const creds = async () => JSON.parse((await p.platform.deps.secrets.get(SECRET))!) as Creds;
  const logsIn = (c: Creds, password: string) =>
    run('mariadb', ['--no-defaults', '--protocol=TCP', '-h', c.host, '-P', String(c.port), '-u', c.username, c.dbname], { input: 'SELECT 1;', env: { MYSQL_PWD: password }, timeoutMs: 10_000 }).then(
      () => true,
      () => false,
    );
  const secretFile = () => join(p.dataDir, 'secrets', `${SECRET}.secret`);

  beforeAll(async () => {
    p = await startLocalPlatformWithTenant(TENANT);
  }, 240_000);
  afterAll(async () => p?.stop(), 60_000);

  it('lists names and ages, never a value; a secret past the policy is OVERDUE and degrades /health', async () => {
    const before = await creds();
    const list = await p.api('GET', '/v1.0/secrets');
    expect(list.status).toBe(200);
    expect(list.body.maxAgeDays).toBe(90);
    const entry = list.body.secrets.find((s: { name: string }) => s.name === SECRET);
    expect(entry).toMatchObject({ ageDays: 0, rotateWith: `bbws secrets rotate ${TENANT} --db`, overdue: false });
    expect(JSON.stringify(list.body)).not.toContain(before.password);
    // 100 days old: past the 90-day policy.
    const old = new Date(Date.now() - 100 * 86_400_000);
    await utimes(secretFile(), old, old);
    const overdue = (await p.api('GET', '/v1.0/secrets')).body.secrets.find((s: { name: string }) => s.name === SECRET);
    expect(overdue).toMatchObject({ ageDays: 100, overdue: true });
    const health = await fetch(`${p.platform.apiUrl}/health`).then((r) => r.json() as Promise<{ components: Array<{ name: string; status: string; detail: string }> }>);
    expect(health.components.find((c) => c.name === 'secrets')).toMatchObject({ status: 'degraded' });
    expect(health.components.find((c) => c.name === 'secrets')!.detail).toContain(SECRET);
    const cli = await bbws('secrets', 'list', '--data-dir', p.dataDir);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`${SECRET}\\s+100 d\\s+\\S+\\s+OVERDUE: bbws secrets rotate ${TENANT} --db`));
    expect(cli.stdout + cli.stderr).not.toContain(before.password);
    const json = JSON.parse((await bbws('secrets', 'list', '--json', '--data-dir', p.dataDir)).stdout);
    expect(json.secrets.map((s: { name: string }) => s.name)).toContain(SECRET);
    // A tenant-admin sees no secret, not even names.
    const tenantToken = await p.token('tenant-admin', TENANT);
    expect((await p.api('GET', '/v1.0/secrets', undefined, tenantToken)).status).toBe(403);
  }, 60_000);

  it('rotates the database password under a homepage load with 0 failed requests', async () => {
    const before = await creds();
    expect(await logsIn(before, before.password)).toBe(true);
    let stop = false;
    const statuses: number[] = [];
    const errors: string[] = [];
    const load = async () => {
      while (!stop) {
        try {
          const r = await p.edge(HOST, '/');
          statuses.push(r.status);
          if (r.status >= 400) errors.push(`${r.status} ${r.body.slice(0, 200)}`);
        } catch (e) {
          errors.push(String(e));
        }
        // Paced under the tenant's edge rate (25 r/s at desiredCount 1): a 429 would be the edge's, not the switch's.
        await new Promise((res) => setTimeout(res, 90));
      }
    };
    const loaders = [load(), load()];
    await p.waitFor('load running', async () => statuses.length > 10);
    const r = await bbws('secrets', 'rotate', TENANT, '--db', '--data-dir', p.dataDir);
    // A little more load after the switch: requests with the new configuration only.
    const atSwitch = statuses.length;
    await p.waitFor('load after the switch', async () => statuses.length > atSwitch + 20);
    stop = true;
    await Promise.all(loaders);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/SUCCEEDED\s+db: let MariaDB accept the old and the new password/);
    expect(r.stderr).toMatch(/SUCCEEDED\s+db: drop the old password/);
    expect(errors).toEqual([]);
    expect(statuses.length).toBeGreaterThan(40);
    expect(new Set(statuses)).toEqual(new Set([302]));

    const after = await creds();
    expect(after.password).not.toBe(before.password);
    expect(after.pendingPassword).toBeUndefined();
    expect(await logsIn(after, before.password)).toBe(false);
    expect(await logsIn(after, after.password)).toBe(true);
    const wpConfig = await readFile((p.platform.runtime as LocalRuntime).tenantPaths(TENANT).wpConfig, 'utf8');
    expect(wpConfig).toContain(after.password);
    expect(wpConfig).not.toContain(before.password);
    // Rotated: young again, no longer overdue, /health ok.
    const entry = (await p.api('GET', '/v1.0/secrets')).body.secrets.find((s: { name: string }) => s.name === SECRET);
    expect(entry).toMatchObject({ ageDays: 0, overdue: false });
    const health = await fetch(`${p.platform.apiUrl}/health`).then((res) => res.json() as Promise<{ components: Array<{ name: string; status: string }> }>);
    expect(health.components.find((c) => c.name === 'secrets')).toMatchObject({ status: 'ok' });
    // Neither password reached a log line or the CLI's output.
    for (const f of await readdir(join(p.dataDir, 'logs'))) {
      const text = await readFile(join(p.dataDir, 'logs', f), 'utf8').catch(() => '');
      expect(text).not.toContain(after.password);
      expect(text).not.toContain(before.password);
    }
    expect(r.stdout + r.stderr).not.toContain(after.password);
  }, 120_000);

  it('a rotation killed half-way (both passwords accepted, wp-config still old) is continued with the password it chose', async () => {
    const before = await creds();
    const chosen = 'chosen-by-the-killed-run-0123456789';
    // What a run killed after its second step leaves: the pending password kept, both accepted.
    await p.platform.deps.secrets.put(SECRET, JSON.stringify({ ...before, pendingPassword: chosen }));
    await (p.platform.runtime as LocalRuntime).database.setTenantPasswords(before.username, [chosen, before.password]);
    expect(await logsIn(before, chosen)).toBe(true);
    expect(await logsIn(before, before.password)).toBe(true);
    const r = await bbws('secrets', 'rotate', TENANT, '--db', '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    const after = await creds();
    expect(after.password).toBe(chosen);
    expect(after.pendingPassword).toBeUndefined();
    expect(await logsIn(after, before.password)).toBe(false);
    expect((await p.edge(HOST)).status).toBe(302);
  }, 60_000);

  it('--site-admin sets a new admin password (shown once, never logged): it logs in, the old one does not', async () => {
    const created = await p.api('POST', `/v1.0/tenants/${TENANT}/sites`, { siteName: 'shop', title: 'Rotated Shop', adminEmail: 'me@example.com' });
    expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    const { siteId, adminPassword: oldPassword } = created.body;
    const host = (await p.api('GET', `/v1.0/tenants/${TENANT}/sites/${siteId}`)).body.hostnames[0];
    await logInToWordPress(edgeClient(p.edgePort, host), 'admin', oldPassword);
    const r = await bbws('secrets', 'rotate', TENANT, '--site-admin', siteId, '--json', '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.operation.status).toBe('SUCCEEDED');
    const next: string = out.adminPassword;
    expect(next).toMatch(/^[A-Za-z0-9_-]{24}$/);
    await logInToWordPress(edgeClient(p.edgePort, host), 'admin', next);
    await expect(logInToWordPress(edgeClient(p.edgePort, host), 'admin', oldPassword)).rejects.toThrow(/login as admin failed/);
    expect(JSON.parse((await p.platform.deps.secrets.get(`dev-${TENANT}-site-${siteId}-admin`))!)).toEqual({ user: 'admin', password: next });
    for (const f of await readdir(join(p.dataDir, 'logs'))) expect(await readFile(join(p.dataDir, 'logs', f), 'utf8').catch(() => '')).not.toContain(next);
    // Bad input: no site, an unknown site.
    expect((await p.api('POST', `/v1.0/tenants/${TENANT}/secrets/rotate`, { secrets: ['site-admin'] })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await p.api('POST', `/v1.0/tenants/${TENANT}/secrets/rotate`, { secrets: ['site-admin'], siteId: 'nosuchsite1' })).body.error.code).toBe('SITE_NOT_FOUND');
  }, 180_000);

  it('bad input gets a stable code and changes nothing', async () => {
    const before = await creds();
    const cases: Array<[string, unknown, number, string]> = [
      [`/v1.0/tenants/${TENANT}/secrets/rotate`, { secrets: [] }, 400, 'VALIDATION_FAILED'],
      [`/v1.0/tenants/${TENANT}/secrets/rotate`, { secrets: ['salts'] }, 400, 'VALIDATION_FAILED'],
      [`/v1.0/tenants/${TENANT}/secrets/rotate`, { secrets: ['db'], siteId: 'x'.repeat(65) }, 400, 'VALIDATION_FAILED'],
      [`/v1.0/tenants/${TENANT}/secrets/rotate`, {}, 400, 'VALIDATION_FAILED'],
      ['/v1.0/tenants/nosuchtenant/secrets/rotate', { secrets: ['db'] }, 404, 'TENANT_NOT_FOUND'],
    ];
    for (const [path, body, status, code] of cases) {
      const r = await p.api('POST', path, body);
      expect([r.status, r.body.error?.code], JSON.stringify(body)).toEqual([status, code]);
    }
    const tenantToken = await p.token('tenant-admin', TENANT);
    expect((await p.api('POST', `/v1.0/tenants/${TENANT}/secrets/rotate`, { secrets: ['db'] }, tenantToken)).status).toBe(403);
    const cli = await bbws('secrets', 'rotate', TENANT, '--data-dir', p.dataDir);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/--db/);
    expect(cli.stderr).not.toMatch(STACK_TRACE);
    expect(await creds()).toEqual(before);
  }, 60_000);
});
