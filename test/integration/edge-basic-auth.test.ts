/**
 * GET /v1.0/admin/edge/basic-auth and `bbws edge basic-auth`: the SIT/PROD edge's basic-auth
 * credentials, for a platform-admin only, never cached or kept, every read recorded without the
 * password. (test/e2e/edge-basic-auth.test.ts checks that they open the real edge.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeBasicAuthSecretName } from '../../src/domain/edge-basic-auth.js';
import { bbws, STACK_TRACE } from '../support/cli-process.js';
import { filesContaining } from '../support/files-containing.js';
import { startHarness, type Harness } from '../support/platform-harness.js';

const PATH = '/v1.0/admin/edge/basic-auth';

function auditLines(h: Harness): Array<Record<string, unknown>> {
  return readFileSync(join(h.dataDir, 'logs', 'bbws.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('EDGE_BASIC_AUTH_READ'))
    .map((l) => JSON.parse(l));
}

describe('edge basic-auth credentials (sit)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ BBWS_ENV: 'sit' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('before the edge ever started: 404 EDGE_BASIC_AUTH_NOT_SET, saying what to do', async () => {
    const res = await h.request('GET', PATH);
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'EDGE_BASIC_AUTH_NOT_SET', details: { environment: 'sit' } });
    expect(res.body.error.message).toMatch(/bbws up/);
  });

  it('a platform-admin reads them (no-store, nothing kept); a tenant-admin gets 403; every read is recorded without the password', async () => {
    // What the edge does when it first starts (the scripted runtime has no edge).
    const password = 'edge-pw-' + 'q'.repeat(24);
    await h.platform.deps.secrets.put(edgeBasicAuthSecretName('sit'), password);

    const res = await h.request('GET', PATH, { headers: { 'idempotency-key': 'edge-auth-1', 'x-correlation-id': 'edge-auth-read-1' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ environment: 'sit', enabled: true, user: 'bbws-sit', password });
    expect(res.headers.get('cache-control')).toBe('no-store');

    const tenantToken = await h.token('tenant-admin', 'acme');
    const denied = await h.request('GET', PATH, { token: tenantToken, headers: { 'x-correlation-id': 'edge-auth-denied-1' } });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('FORBIDDEN');
    expect(JSON.stringify(denied.body)).not.toContain(password);
    expect((await h.request('GET', PATH, { token: null })).status).toBe(401);

    await h.waitFor('both reads in the log', async () => auditLines(h).length >= 2);
    const lines = auditLines(h);
    expect(lines.find((l) => l.correlationId === 'edge-auth-read-1')).toMatchObject({ status: 'OK', role: 'platform-admin', subject: expect.any(String), environment: 'sit' });
    expect(lines.find((l) => l.correlationId === 'edge-auth-denied-1')).toMatchObject({ status: 'DENIED', role: 'tenant-admin', tenantId: 'acme' });
    // Only the secret store holds it, encrypted: not state.db (no idempotency record), not the log.
    expect(filesContaining(h.dataDir, password)).toEqual([]);
  });

  it('bbws edge basic-auth prints them, --json too, and a tenant token gets a clear error', async () => {
    const human = await bbws('edge', 'basic-auth', '--data-dir', h.dataDir);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^user\s+bbws-sit$/m);
    expect(human.stdout).toMatch(/^password\s+edge-pw-q{24}$/m);
    const json = await bbws('--json', 'edge', 'basic-auth', '--data-dir', h.dataDir);
    expect(JSON.parse(json.stdout)).toEqual({ environment: 'sit', enabled: true, user: 'bbws-sit', password: 'edge-pw-' + 'q'.repeat(24) });
    const asTenant = await bbws('edge', 'basic-auth', '--data-dir', h.dataDir, '--token', await h.token('tenant-admin', 'acme'));
    expect(asTenant.code).not.toBe(0);
    expect(asTenant.stderr).toMatch(/platform-admin/);
    expect(asTenant.stderr).not.toMatch(STACK_TRACE);
    expect(asTenant.stdout).toBe('');
  });
});

describe('edge basic-auth credentials (dev)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('says the dev edge asks for none', async () => {
    const res = await h.request('GET', PATH);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ environment: 'dev', enabled: false, user: null, password: null });
    const human = await bbws('edge', 'basic-auth', '--data-dir', h.dataDir);
    expect(human.stdout).toMatch(/dev edge asks for no basic auth/);
  });
});
