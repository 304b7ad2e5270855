/**
 * A hard delete of a FAILED tenant (provisioning failed and was undone, or the runtime reported
 * it unhealthy) does every step, ends DEPROVISIONED with its operation SUCCEEDED (the CLI exits 0),
 * and leaves nothing behind: no runtime resource, and the name is free to be created again.
 * (test/e2e/failed-tenant-delete.test.ts checks the real runtime's files, users and database.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bbws } from '../support/cli-process.js';
import { ecsEvent } from '../support/scripted-runtime.js';
import { startHarness, type Harness } from '../support/platform-harness.js';

describe('hard delete of a FAILED tenant', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });
  const resourcesOf = (t: string) => [...h.runtime.resources].filter((r) => r.startsWith(`${t}:`));

  it('FAILED by a provisioning step (undone): the delete SUCCEEDS, DEPROVISIONED, and the name can be used again', async () => {
    h.runtime.failStep = 'create-pool';
    const created = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'doomed' } });
    expect((await h.waitForOperation(created.body.operationId)).status).toBe('FAILED');
    h.runtime.failStep = null;
    expect((await h.request('GET', '/v1.0/tenants/doomed/instance')).body.provisioningState).toBe('FAILED');

    const del = await h.request('DELETE', '/v1.0/tenants/doomed?mode=hard');
    expect(del.status).toBe(202);
    const op = await h.waitForOperation(del.body.operationId);
    expect({ status: op.status, error: op.error }).toEqual({ status: 'SUCCEEDED', error: null });
    expect(op.steps.every((s: any) => s.status === 'SUCCEEDED')).toBe(true);
    expect((await h.request('GET', '/v1.0/tenants/doomed/instance')).body.provisioningState).toBe('DEPROVISIONED');
    expect(resourcesOf('doomed')).toEqual([]);
    expect((await h.request('GET', '/v1.0/admin/operations/open')).body.items).toEqual([]);

    const again = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'doomed' } });
    expect(again.status).toBe(202);
    expect((await h.waitForOperation(again.body.operationId)).status).toBe('SUCCEEDED');
  });

  it('FAILED by the runtime (unhealthy, resources still there): `bbws tenants delete --mode hard --wait` exits 0 and removes them all', async () => {
    const created = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'sick' } });
    expect((await h.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    const impaired = await h.request('POST', '/v1.0/events/ecs', { body: ecsEvent('dev', 'sick', 'SERVICE_TASK_START_IMPAIRED', { reason: 'health check failed 3 times' }) });
    expect(impaired.body).toMatchObject({ status: 'success', provisioningState: 'FAILED' });
    expect(resourcesOf('sick').length).toBeGreaterThan(0);

    const out = await bbws('--json', 'tenants', 'delete', 'sick', '--mode', 'hard', '--wait', '--data-dir', h.dataDir);
    expect(out.code, out.stderr + out.stdout).toBe(0);
    const ops = (await h.request('GET', '/v1.0/tenants/sick/operations')).body.items;
    expect(ops.find((o: any) => o.type === 'DELETE_TENANT')).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect((await h.request('GET', '/v1.0/tenants/sick/instance')).body).toMatchObject({ provisioningState: 'DEPROVISIONED', runningCount: 0 });
    expect(resourcesOf('sick')).toEqual([]);
  });
});
