/**
 * Audit entries of the API and the CLI: every mutating request (whatever its answer) and every
 * rejected token, with actor, address, action, target, result and correlation id, and no secret;
 * GET /v1.0/audit for a platform-admin, a tenant-admin sees its own tenant only; `bbws audit
 * verify` exits 2 and names the line after an edit.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bbws } from '../support/cli-process.js';
import { startHarness, type Harness } from '../support/platform-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

describe('audit log through the API', () => {
  it('records mutating requests and rejected tokens, lists them by role', async () => {
    const created = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'auditone' }, headers: { 'x-correlation-id': 'audit-corr-1' } });
    expect(created.status).toBe(202);
    await h.waitForOperation(created.body.operationId);
    await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'auditone' } }); // 409
    await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'audittwo' } });
    const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2VjcmV0LXNpZ25hdHVyZQ';
    expect((await h.request('DELETE', '/v1.0/tenants/auditone', { token: forged })).status).toBe(401);
    await h.request('GET', '/v1.0/tenants'); // a read: not recorded

    const all = await h.request('GET', '/v1.0/audit?since=1h');
    expect(all.status).toBe(200);
    const items = all.body.items as any[];
    const first = items.find((e) => e.correlationId === 'audit-corr-1');
    expect(first).toMatchObject({
      action: 'POST /v1.0/tenants',
      target: '/v1.0/tenants',
      sourceIp: '127.0.0.1',
      actor: { role: 'platform-admin' },
      result: { statusCode: 202, errorCode: null },
    });
    expect(items.some((e) => e.action === 'POST /v1.0/tenants' && e.result.errorCode === 'TENANT_EXISTS' && e.result.statusCode === 409)).toBe(true);
    const rejected = items.find((e) => e.action === 'AUTH_REJECTED');
    expect(rejected).toMatchObject({ actor: null, sourceIp: '127.0.0.1', target: '/v1.0/tenants/auditone', details: { reason: 'UNAUTHORIZED', request: 'DELETE /v1.0/tenants/:tenantId' } });
    expect(items.some((e) => e.action.startsWith('GET '))).toBe(false);
    expect(items.some((e) => e.action === 'PLATFORM_START')).toBe(true);
    const file = readFileSync(join(h.dataDir, 'audit', 'audit.jsonl'), 'utf8');
    expect(file).not.toContain(forged);
    expect(file).not.toContain('c2VjcmV0LXNpZ25hdHVyZQ');

    const tenantToken = await h.token('tenant-admin', 'auditone');
    const own = await h.request('GET', '/v1.0/audit', { token: tenantToken });
    expect(own.status).toBe(200);
    expect(own.body.items.length).toBeGreaterThan(0);
    expect(own.body.items.every((e: any) => e.tenantId === 'auditone' || e.actor?.tenantId === 'auditone')).toBe(true);
    expect((await h.request('GET', '/v1.0/audit?tenant=audittwo', { token: tenantToken })).status).toBe(404);
    expect((await h.request('GET', '/v1.0/audit?tenant=audittwo')).body.items.every((e: any) => e.tenantId === 'audittwo')).toBe(true);
    const bad = await h.request('GET', '/v1.0/audit?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('bbws token create and audit list/verify; an edit makes verify exit 2 naming the line', async () => {
    const minted = await bbws('token', 'create', '--role', 'tenant-admin', '--tenant', 'auditone', '--data-dir', h.dataDir);
    expect(minted.code).toBe(0);
    const listed = await bbws('audit', 'list', '--action', 'TOKEN_CREATE', '--json', '--data-dir', h.dataDir);
    expect(listed.code).toBe(0);
    const tokenEntry = JSON.parse(listed.stdout).items[0];
    expect(tokenEntry).toMatchObject({ action: 'TOKEN_CREATE', actor: { role: 'local-operator' }, tenantId: 'auditone', details: { role: 'tenant-admin' } });
    expect(JSON.stringify(tokenEntry)).not.toContain(minted.stdout.trim());

    const ok = await bbws('audit', 'verify', '--data-dir', h.dataDir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^audit log OK: \d+ entries, chain intact/);

    const file = join(h.dataDir, 'audit', 'audit.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = lines[1].replace('"statusCode":202', '"statusCode":201');
    writeFileSync(file, lines.join('\n'));
    const bad = await bbws('audit', 'verify', '--data-dir', h.dataDir);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain('audit log TAMPERED');
    expect(bad.stdout).toContain('line 2 (seq 2) does not match its hash');
  });
});
