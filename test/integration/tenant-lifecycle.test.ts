import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/platform-harness.js';

describe('tenant lifecycle over HTTP (SQLite state, scripted runtime double)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('creates a tenant: 202, saga steps journaled, ACTIVE on the steady-state event', async () => {
    const res = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'acme' } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ tenantId: 'acme', provisioningState: 'PROVISIONING' });
    expect(res.headers.get('x-correlation-id')).toBeTruthy();
    const op = await h.waitForOperation(res.body.operationId);
    expect(op.status).toBe('SUCCEEDED');
    expect(op.type).toBe('CREATE_TENANT');
    expect(op.steps.map((s: any) => s.name)).toEqual([
      'create-database', 'store-credentials', 'create-content-dir', 'create-pool', 'create-route', 'start-service', 'await-runtime',
    ]);
    for (const s of op.steps) {
      expect(s.status).toBe('SUCCEEDED');
      expect(typeof s.durationMs).toBe('number');
    }
    const tenant = await h.request('GET', '/v1.0/tenants/acme');
    expect(tenant.status).toBe(200);
    expect(tenant.body.instance).toMatchObject({ provisioningState: 'ACTIVE', workflowStatus: 'SERVICE_STEADY_STATE', desiredCount: 1, runningCount: 1, lastError: null });
    expect(tenant.body.instance.hostnames).toEqual(['acme.wpdev.localhost']);
    expect(tenant.headers.get('etag')).toBe(`"${tenant.body.version}"`);
    const instance = await h.request('GET', '/v1.0/tenants/acme/instance');
    expect(instance.body.provisioningState).toBe('ACTIVE');
  });

  it("rejects a duplicate tenant with 409 and another tenant's host name with 403", async () => {
    const dup = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'acme' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('TENANT_EXISTS');
    const clash = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'other', domainName: 'acme.wpdev.localhost' } });
    // Refused by the namespace rule before any lookup (domain/hostnames.ts).
    expect(clash.status).toBe(403);
    expect(clash.body.error.code).toBe('HOSTNAME_OTHER_TENANT');
    expect((await h.request('GET', '/v1.0/tenants/other')).status).toBe(404);
  });

  it('scales ACTIVE → SCALING → ACTIVE and refuses a stale If-Match', async () => {
    const before = await h.request('GET', '/v1.0/tenants/acme');
    const stale = await h.request('PATCH', '/v1.0/tenants/acme/instance', { body: { desiredCount: 3 }, headers: { 'if-match': `"${before.body.version - 1}"` } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('VERSION_CONFLICT');
    const res = await h.request('PATCH', '/v1.0/tenants/acme/instance', { body: { desiredCount: 3 }, headers: { 'if-match': `"${before.body.version}"` } });
    expect(res.status).toBe(202);
    expect(res.body.provisioningState).toBe('SCALING');
    const op = await h.waitForOperation(res.body.operationId);
    expect(op.status).toBe('SUCCEEDED');
    const after = await h.request('GET', '/v1.0/tenants/acme/instance');
    expect(after.body).toMatchObject({ provisioningState: 'ACTIVE', desiredCount: 3, runningCount: 3 });
  });

  it('rolls back to the previous spec revision', async () => {
    const res = await h.request('POST', '/v1.0/tenants/acme/instance/rollback');
    expect(res.status).toBe(202);
    expect(res.body.provisioningState).toBe('ROLLING_BACK');
    expect((await h.waitForOperation(res.body.operationId)).status).toBe('SUCCEEDED');
    const after = await h.request('GET', '/v1.0/tenants/acme/instance');
    expect(after.body).toMatchObject({ provisioningState: 'ACTIVE', desiredCount: 1 });
  });

  it('lists tenants with pagination', async () => {
    for (const name of ['beta1', 'beta2', 'beta3']) expect((await h.request('POST', '/v1.0/tenants', { body: { tenantName: name } })).status).toBe(202);
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const page: any = await h.request('GET', `/v1.0/tenants?limit=2${next ? `&nextToken=${encodeURIComponent(next)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((t: any) => t.tenantId));
      next = page.body.nextToken;
    } while (next);
    expect(seen).toEqual(['acme', 'beta1', 'beta2', 'beta3']);
  });

  it('one operation per tenant at a time: a second change while one runs is 409', async () => {
    h.runtime.stepDelayMs = 200;
    try {
      const first = await h.request('PATCH', '/v1.0/tenants/beta1/instance', { body: { desiredCount: 2 } });
      // beta1 may still be provisioning from the previous test; either way a change is running.
      const second = await h.request('PATCH', '/v1.0/tenants/beta1/instance', { body: { desiredCount: 4 } });
      expect(second.status).toBe(409);
      expect(second.body.error.code).toBe('OPERATION_IN_PROGRESS');
      if (first.status === 202) await h.waitForOperation(first.body.operationId);
    } finally {
      h.runtime.stepDelayMs = 0;
    }
  });

  it('soft delete → DEPROVISIONED, and the tenant can be created again', async () => {
    const open = await h.request('GET', '/v1.0/tenants/beta2/operations');
    for (const op of open.body.items) await h.waitForOperation(op.operationId);
    const del = await h.request('DELETE', '/v1.0/tenants/beta2?mode=soft');
    expect(del.status).toBe(202);
    expect((await h.waitForOperation(del.body.operationId)).status).toBe('SUCCEEDED');
    expect((await h.request('GET', '/v1.0/tenants/beta2/instance')).body.provisioningState).toBe('DEPROVISIONED');
    const again = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'beta2' } });
    expect(again.status).toBe(202);
    expect((await h.waitForOperation(again.body.operationId)).status).toBe('SUCCEEDED');
    expect((await h.request('GET', '/v1.0/tenants/beta2/instance')).body.provisioningState).toBe('ACTIVE');
    const ops = await h.request('GET', '/v1.0/tenants/beta2/operations');
    expect(ops.body.items.map((o: any) => o.type)).toEqual(['CREATE_TENANT', 'DELETE_TENANT', 'CREATE_TENANT']);
  });

  it('hard delete removes the runtime resources', async () => {
    const open = await h.request('GET', '/v1.0/tenants/beta3/operations');
    for (const op of open.body.items) await h.waitForOperation(op.operationId);
    const del = await h.request('DELETE', '/v1.0/tenants/beta3?mode=hard');
    expect((await h.waitForOperation(del.body.operationId)).status).toBe('SUCCEEDED');
    expect([...h.runtime.resources].filter((r) => r.startsWith('beta3:'))).toEqual([]);
    expect((await h.request('GET', '/v1.0/tenants/beta3')).body.instance.provisioningState).toBe('DEPROVISIONED');
  });

  it('replays the first response for a repeated Idempotency-Key, and refuses the key with another body', async () => {
    const headers = { 'idempotency-key': 'create-gamma-1' };
    const first = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'gamma' }, headers });
    const again = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'gamma' }, headers });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'delta' }, headers });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await h.request('GET', '/v1.0/tenants/delta')).status).toBe(404);
  });

  it('echoes a given X-Correlation-Id and records it on the operation', async () => {
    const res = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'corr1' }, headers: { 'x-correlation-id': 'trace-abc-123' } });
    expect(res.headers.get('x-correlation-id')).toBe('trace-abc-123');
    const op = await h.request('GET', `/v1.0/operations/${res.body.operationId}`);
    expect(op.body.correlationId).toBe('trace-abc-123');
  });

  it('serves /health, /metrics and /openapi.json without a token', async () => {
    const health = await h.request('GET', '/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body.components.map((c: any) => c.name)).toEqual(expect.arrayContaining(['store', 'queues', 'role:api', 'scripted-runtime']));
    const metrics = await h.request('GET', '/metrics', { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('bbws_http_requests_total');
    expect(metrics.body).toContain('bbws_ecs_events_total');
    const openapi = await h.request('GET', '/openapi.json', { token: null });
    expect(openapi.status).toBe(200);
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/v1.0/tenants', '/v1.0/tenants/{tenantId}', '/v1.0/operations/{operationId}', '/v1.0/events/ecs']));
    expect(openapi.body.paths['/v1.0/tenants'].post.requestBody.content['application/json'].schema.properties.tenantName).toBeDefined();
  });

  it('logs one line per request with its route, status, error code and REPORT fields', async () => {
    const cid = (n: string) => ({ headers: { 'x-correlation-id': `log-test-${n}` } });
    expect((await h.request('GET', '/v1.0/tenants/acme', cid('ok'))).status).toBe(200);
    expect((await h.request('GET', '/v1.0/tenants/nobody', cid('missing'))).status).toBe(404);
    expect((await h.request('GET', '/v1.0/nowhere', cid('unrouted'))).status).toBe(404);
    expect((await h.request('GET', '/v1.0/nowhere', { ...cid('anonymous'), token: null })).status).toBe(401);
    expect((await h.request('POST', '/v1.0/tenants', { ...cid('dup'), body: { tenantName: 'acme' } })).status).toBe(409);
    const lineOf = (id: string) =>
      h.waitFor(`the log line of ${id}`, async () => {
        const lines = readFileSync(join(h.dataDir, 'logs', 'bbws.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
        return lines.find((l) => l.correlationId === `log-test-${id}` && l['@type'] === 'REPORT');
      });
    expect(await lineOf('ok')).toMatchObject({ action: 'GET /v1.0/tenants/:tenantId', tenantId: 'acme', status: 'OK', statusCode: 200, level: 'INFO' });
    const ok = await lineOf('ok');
    expect(ok.errorCode).toBeUndefined();
    expect(ok['@duration']).toBeGreaterThan(0);
    expect(ok['@message']).toMatch(/^GET \/v1\.0\/tenants\/acme 200 REPORT RequestId: log-test-ok Duration: /);
    expect(await lineOf('missing')).toMatchObject({ statusCode: 404, status: 'ERROR', errorCode: 'TENANT_NOT_FOUND', tenantId: 'nobody' });
    expect(await lineOf('unrouted')).toMatchObject({ action: 'GET unmatched', statusCode: 404, errorCode: 'NOT_FOUND' });
    expect(await lineOf('anonymous')).toMatchObject({ action: 'GET unmatched', statusCode: 401, errorCode: 'UNAUTHORIZED' });
    expect(await lineOf('dup')).toMatchObject({ action: 'POST /v1.0/tenants', statusCode: 409, errorCode: 'TENANT_EXISTS' });
  });
});
