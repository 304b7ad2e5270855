/**
 * `bbws secrets rotate T --basic-auth` on a SIT platform (real MariaDB, php-fpm, nginx): under a
 * homepage load through the edge's basic auth, from a client that keeps the old password and one
 * that follows the platform's, 0 requests fail (no 401, no 502, no reset: nginx is not reloaded);
 * the old password is still accepted during the grace window and refused (401) after it, the new
 * one works; no password is written in plain text anywhere but the (encrypted) secret store.
 */
import { readdir, readFile, utimes } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/adapters/runtime/local/local-runtime.js';
import { withBackups } from '../../src/app/backups/backup-deps.js';
import { runSecretRotation } from '../../src/app/secrets/rotate-secrets.js';
import { bbws } from '../support/cli-process.js';
import { filesContaining } from '../support/files-containing.js';
import { type LocalPlatform, startLocalPlatformWithTenant } from '../support/platform-local-harness.js';

const TENANT = 'rotateauth';
const HOST = `${TENANT}.wpsit.localhost`;
const GRACE_SECONDS = 6;

describe('bbws secrets rotate --basic-auth (sit: real nginx with basic auth)', () => {
  let p: LocalPlatform;
  // Keep-alive, as a browser: connections opened before the switch carry requests after it.
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const get = (password: string | null, path = '/') =>
    new Promise<number>((resolve, reject) => {
      const headers: Record<string, string> = { host: `${HOST}:${p.edgePort}` };
      if (password !== null) headers.authorization = `Basic ${Buffer.from(`bbws-sit:${password}`).toString('base64')}`;
      request({ host: '127.0.0.1', port: p.edgePort, path, headers, agent }, (res) => {
        res.resume().on('end', () => resolve(res.statusCode!));
      })
        .on('error', reject)
        .end();
    });
  const readCredentials = async () => (await p.api('GET', '/v1.0/admin/edge/basic-auth')).body as { user: string; password: string };

  beforeAll(async () => {
    p = await startLocalPlatformWithTenant(TENANT, { BBWS_ENV: 'sit' });
  }, 240_000);
  afterAll(async () => {
    agent.destroy();
    await p?.stop();
  }, 60_000);

  it('rotates under a homepage load with 0 failed requests; the old password works during the grace window, then gets 401', async () => {
    const old = (await readCredentials()).password;
    expect(await get(old)).toBe(302);
    expect(await get(null)).toBe(401);
    expect(await get('wrong')).toBe(401);
    // The good password opens no denied path (basic auth says \`satisfy any\`; those say \`satisfy all\`).
    expect(await get(old, '/.htaccess')).toBe(403);
    expect(await get(old, '/wp-content/uploads/x.php')).toBe(403);

    let stopOld = false;
    let stopAll = false;
    const log = { old: [] as number[], following: [] as number[], errors: [] as string[] };
    const loop = async (which: 'old' | 'following') => {
      while (!(stopAll || (which === 'old' && stopOld))) {
        // "following": a client that always uses the password the platform uses (its own probes do).
        const password = which === 'old' ? old : (p.platform.runtime as LocalRuntime).basicAuth!.password;
        try {
          const status = await get(password);
          log[which].push(status);
          if (status !== 302) log.errors.push(`${which}: ${status}`);
        } catch (e) {
          log.errors.push(`${which}: ${String(e)}`);
        }
        // Paced under the tenant's edge rate (25 r/s): a 429 would be the edge's, not the switch's.
        await new Promise((res) => setTimeout(res, 90));
      }
    };
    const loaders = [loop('old'), loop('old'), loop('following')];
    await p.waitFor('load running', async () => log.old.length > 10);
    const started = Date.now();
    const r = await bbws('secrets', 'rotate', TENANT, '--basic-auth', '--grace', String(GRACE_SECONDS), '--data-dir', p.dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/SUCCEEDED\s+basic-auth: the edge accepts the new password, and the old one until/);
    const next = (await readCredentials()).password;
    expect(next).not.toBe(old);
    // Still inside the window: the old password's clients carry on, the platform's use the new one.
    const atSwitch = { old: log.old.length, following: log.following.length };
    await p.waitFor('load after the switch', async () => log.old.length > atSwitch.old + 10 && log.following.length > atSwitch.following + 5);
    expect(Date.now() - started).toBeLessThan(GRACE_SECONDS * 1000);
    stopOld = true;
    expect(log.errors).toEqual([]);
    expect(new Set([...log.old, ...log.following])).toEqual(new Set([302]));

    // After the window: the old password is refused, the new one (and the platform's clients) work.
    await p.waitFor('old password refused', async () => (await get(old)) === 401, 30_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000 - 500);
    expect(await get(next)).toBe(302);
    stopAll = true;
    await Promise.all(loaders);
    expect(log.errors).toEqual([]);
    expect(await (p.platform.runtime as LocalRuntime).probe(TENANT)).toMatchObject({ ok: true });

    // Only salted hashes in the edge's files; neither password in any file (state DB, logs, nginx's) but the encrypted store.
    const edgeDir = (p.platform.runtime as LocalRuntime).layout.edgeDir;
    expect(await readFile(join(edgeDir, 'htpasswd'), 'utf8')).toMatch(/^bbws-sit:\{SSHA\}[A-Za-z0-9+/=]+\n$/);
    expect(await readFile(join(edgeDir, 'htpasswd.previous'), 'utf8')).toBe('');
    expect(filesContaining(p.dataDir, old)).toEqual([]);
    expect(filesContaining(p.dataDir, next)).toEqual([]);
    expect(r.stdout + r.stderr).not.toContain(next);
    // Recorded: who asked, and that it was done (never the password).
    const lines = async () => (await readFile(join(p.dataDir, 'logs', 'bbws.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const done = await p.waitFor('the rotation in the log', async () => (await lines()).find((l) => l.action === 'SECRET_ROTATED' && l.environment === 'sit'));
    expect(done).toMatchObject({ tenantId: TENANT, graceUntil: expect.any(String) });
    expect((await lines()).find((l) => l.action === 'EDGE_BASIC_AUTH_ROTATE')).toMatchObject({ status: 'ACCEPTED', role: 'platform-admin', environment: 'sit', subject: expect.any(String) });
  }, 120_000);

  it('an operation delivered again after its rotation does not rotate again (the window stays as it was)', async () => {
    const op = (await p.platform.deps.store.listOperations(TENANT, 20)).find((o) => o.type === 'ROTATE_SECRETS')!;
    const before = (await readCredentials()).password;
    const edgeDir = (p.platform.runtime as LocalRuntime).layout.edgeDir;
    const htpasswd = await readFile(join(edgeDir, 'htpasswd'), 'utf8');
    const steps: string[] = [];
    await runSecretRotation(withBackups(p.platform.deps), op, (step) => steps.push(step));
    expect(steps).toEqual(['basic-auth: rotated already by this operation']);
    expect((await readCredentials()).password).toBe(before);
    expect(await readFile(join(edgeDir, 'htpasswd'), 'utf8')).toBe(htpasswd);
  }, 30_000);

  it('secrets list shows its age and the rotation policy warns about it', async () => {
    const entry = async () => (await p.api('GET', '/v1.0/secrets')).body.secrets.find((s: { name: string }) => s.name === 'sit-edge-basic-auth');
    expect(await entry()).toMatchObject({ ageDays: 0, rotateWith: 'bbws secrets rotate TENANT --basic-auth', overdue: false });
    const old = new Date(Date.now() - 100 * 86_400_000);
    await utimes(join(p.dataDir, 'secrets', 'sit-edge-basic-auth.secret'), old, old);
    expect(await entry()).toMatchObject({ ageDays: 100, overdue: true });
    const health = await fetch(`${p.platform.apiUrl}/health`).then((res) => res.json() as Promise<{ components: Array<{ name: string; status: string; detail: string }> }>);
    expect(health.components.find((c) => c.name === 'secrets')).toMatchObject({ status: 'degraded', detail: expect.stringContaining('--basic-auth') });
    const cli = await bbws('secrets', 'list', '--data-dir', p.dataDir);
    expect(cli.stdout).toMatch(/sit-edge-basic-auth\s+100 d\s+\S+\s+OVERDUE: bbws secrets rotate TENANT --basic-auth/);
    // Bad input changes nothing; a tenant-admin may not rotate.
    const before = (await readCredentials()).password;
    for (const graceSeconds of [-1, 1.5, 86_401, 'soon']) {
      const bad = await p.api('POST', `/v1.0/tenants/${TENANT}/secrets/rotate`, { secrets: ['basic-auth'], graceSeconds });
      expect([bad.status, bad.body.error?.code], String(graceSeconds)).toEqual([400, 'VALIDATION_FAILED']);
    }
    const tenantToken = await p.token('tenant-admin', TENANT);
    expect((await p.api('POST', `/v1.0/tenants/${TENANT}/secrets/rotate`, { secrets: ['basic-auth'] }, tenantToken)).status).toBe(403);
    expect((await readCredentials()).password).toBe(before);
    for (const f of await readdir(join(p.dataDir, 'logs'))) expect(await readFile(join(p.dataDir, 'logs', f), 'utf8').catch(() => '')).not.toContain(before);
  }, 60_000);
});
