import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pollUntil } from '../support/poll.js';
import { createTokenAuthority, loadOrCreateSigningKey } from '../../src/adapters/auth/jwt.js';
import { reconcile } from '../../src/app/reconcile.js';
import { runOperation } from '../../src/app/run-operation.js';
import { parseConfig } from '../../src/main/config.js';
import { createLogger } from '../../src/main/logger.js';
import { startPlatform } from '../../src/main/platform.js';
import { createScriptedRuntime, type ScriptedRuntime } from '../support/scripted-runtime.js';
import { startHarness, type Harness } from '../support/platform-harness.js';
import { startSagaChildProcess } from '../support/saga-child-process.js';

describe('provisioning saga', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  const startSagaChild = (dataDir: string, ...args: string[]) => startSagaChildProcess(cleanups, dataDir, {}, ...args);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function harness(env: Record<string, string> = {}): Promise<Harness> {
    const h = await startHarness(env);
    cleanups.push(() => h.stop());
    return h;
  }

  it('undoes completed steps in reverse when a step fails, and records FAILED with lastError', async () => {
    const h = await harness();
    h.runtime.failStep = 'create-pool';
    const res = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'broken' } });
    const op = await h.waitForOperation(res.body.operationId);
    expect(op.status).toBe('FAILED');
    expect(op.error).toBe('Step create-pool failed: injected failure in create-pool');
    expect(op.steps.map((s: any) => `${s.name}:${s.status}`)).toEqual([
      'create-database:SUCCEEDED', 'store-credentials:SUCCEEDED', 'create-content-dir:SUCCEEDED', 'create-pool:FAILED',
      'undo:create-pool:UNDONE', 'undo:create-content-dir:UNDONE', 'undo:store-credentials:UNDONE', 'undo:create-database:UNDONE',
    ]);
    expect([...h.runtime.resources].filter((r) => r.startsWith('broken:'))).toEqual([]);
    const instance = (await h.request('GET', '/v1.0/tenants/broken/instance')).body;
    expect(instance).toMatchObject({ provisioningState: 'FAILED', lastError: 'Step create-pool failed: injected failure in create-pool' });
    expect((await h.request('GET', '/metrics', { token: null })).body).toMatch(/bbws_operations_finished_total\{[^}]*status="FAILED"[^}]*\} 1/);
  });

  it('a FAILED operation can be retried once the cause is gone', async () => {
    const h = await harness();
    h.runtime.failStep = 'create-route';
    const res = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'retryme' } });
    expect((await h.waitForOperation(res.body.operationId)).status).toBe('FAILED');
    expect((await h.request('POST', `/v1.0/operations/${res.body.operationId}/retry`, { token: await h.token('tenant-admin', 'other') })).status).toBe(404);
    h.runtime.failStep = null;
    const retry = await h.request('POST', `/v1.0/operations/${res.body.operationId}/retry`);
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ retryOf: res.body.operationId, type: 'CREATE_TENANT' });
    const op = await h.waitForOperation(retry.body.operationId);
    expect(op.status).toBe('SUCCEEDED');
    expect(op.input.retryOf).toBe(res.body.operationId);
    expect((await h.request('GET', '/v1.0/tenants/retryme/instance')).body).toMatchObject({ provisioningState: 'ACTIVE', lastError: null });
    // Only a FAILED operation, and only the latest one, can be retried.
    expect((await h.request('POST', `/v1.0/operations/${retry.body.operationId}/retry`)).body.error.code).toBe('INVALID_STATE');
    expect((await h.request('POST', `/v1.0/operations/${res.body.operationId}/retry`)).body.error.code).toBe('INVALID_STATE');
  });

  it('a failed scale is undone and the instance keeps serving its previous spec', async () => {
    const h = await harness();
    const created = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'scaler' } });
    await h.waitForOperation(created.body.operationId);
    h.runtime.failStep = 'update-pool';
    const res = await h.request('PATCH', '/v1.0/tenants/scaler/instance', { body: { desiredCount: 5 } });
    expect((await h.waitForOperation(res.body.operationId)).status).toBe('FAILED');
    const instance = (await h.request('GET', '/v1.0/tenants/scaler/instance')).body;
    expect(instance).toMatchObject({ provisioningState: 'ACTIVE', desiredCount: 1, workflowStatus: 'CHANGE_ROLLED_BACK' });
    expect(instance.lastError).toMatch(/update-pool/);
  });

  it('fails an operation that passes its deadline (seed 000: stuck in PROVISIONING > 15 min)', async () => {
    const h = await harness();
    h.runtime.reportSteadyState = false; // the runtime never reports steady state
    const res = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'stuck' } });
    await h.waitFor('the saga to wait for the runtime', async () => (await h.request('GET', '/v1.0/tenants/stuck/instance')).body.provisioningState === 'WORKFLOW_RUNNING');
    const open = await h.request('GET', '/v1.0/admin/operations/open');
    expect(open.body.items).toEqual([expect.objectContaining({ operationId: res.body.operationId, currentStep: 'await-runtime', pastDeadline: false })]);
    const deps = h.platform.deps;
    const report = await reconcile({ ...deps, now: () => Date.now() + 16 * 60_000 });
    expect(report.timedOut).toEqual([res.body.operationId]);
    const op = (await h.request('GET', `/v1.0/operations/${res.body.operationId}`)).body;
    expect(op.status).toBe('FAILED');
    expect(op.error).toMatch(/^Deadline exceeded at .* during await-runtime/);
    const instance = (await h.request('GET', '/v1.0/tenants/stuck/instance')).body;
    expect(instance).toMatchObject({ provisioningState: 'FAILED', workflowStatus: 'DEADLINE_EXCEEDED' });
    expect((await h.request('GET', '/v1.0/admin/operations/open')).body.items).toEqual([]);
  });

  it('a redelivered message does no harm: running a finished operation again changes nothing', async () => {
    const h = await harness();
    const res = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'twice' } });
    const done = await h.waitForOperation(res.body.operationId);
    const calls = h.runtime.calls.length;
    const again = await runOperation({ ...h.platform.deps, runtime: h.runtime }, res.body.operationId);
    expect(again).toMatchObject({ status: 'SUCCEEDED', version: expect.any(Number) });
    expect((await h.request('GET', `/v1.0/operations/${res.body.operationId}`)).body).toEqual(done);
    expect(h.runtime.calls.length).toBe(calls);
  });

  it('SIGTERM during a long step exits within 10 s, hands the job back, and it resumes after the restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bbws-saga-term-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // Each step takes 30 s: the old stop waited for it (and a stop timeout then SIGKILLed bbws).
    const { child, api } = await startSagaChild(dataDir, '30000');
    const opId = (await api('POST', '/v1.0/tenants', { tenantName: 'termy' })).operationId;
    for (;;) {
      const op = await api('GET', `/v1.0/operations/${opId}`);
      if (op.steps.some((s: any) => s.status === 'IN_PROGRESS')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const t0 = Date.now();
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);

    const platform = await startPlatform({
      config: parseConfig({ dataDir, apiPort: 0, edgePort: 0 }, { BBWS_RATE_LIMIT: '0' }),
      roles: ['api', 'worker', 'events', 'reconciler'],
      logger: createLogger({ level: 'info', dataDir, stdout: false }),
      createRuntime: async ({ emit }) => createScriptedRuntime(emit),
    });
    cleanups.push(() => platform.stop());
    // Handed back with no backoff and no 30 s lease to wait out: it resumes at once.
    const t1 = Date.now();
    let op: any;
    do {
      await new Promise((r) => setTimeout(r, 50));
      op = await platform.deps.store.getOperation(opId);
    } while (op.status !== 'SUCCEEDED' && op.status !== 'FAILED' && Date.now() - t1 < 20_000);
    expect(op.status).toBe('SUCCEEDED');
    expect(Date.now() - t1).toBeLessThan(10_000);
    // Nothing was recorded as failed or undone by the stop; the interrupted step ran again.
    expect(op.steps.filter((s: any) => s.name.startsWith('undo:'))).toEqual([]);
    expect((await platform.deps.store.getInstance('termy'))!.provisioningState).toBe('ACTIVE');
  }, 60_000);

  it('survives kill -9 of the worker mid-saga: the operation resumes and no step succeeds twice', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bbws-saga-kill-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { child, api } = await startSagaChild(dataDir);
    const created = await api('POST', '/v1.0/tenants', { tenantName: 'crashy' });
    const opId = created.operationId;
    for (;;) {
      const op = await api('GET', `/v1.0/operations/${opId}`);
      if (op.steps.filter((s: any) => s.status === 'SUCCEEDED').length >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    let runtime!: ScriptedRuntime;
    const platform = await startPlatform({
      config: parseConfig({ dataDir, apiPort: 0, edgePort: 0 }, { BBWS_RATE_LIMIT: '0' }),
      roles: ['api', 'worker', 'events', 'reconciler'],
      logger: createLogger({ level: 'info', dataDir, stdout: false }),
      workerLeaseSeconds: 2,
      createRuntime: async ({ emit }) => (runtime = createScriptedRuntime(emit)),
    });
    cleanups.push(() => platform.stop());
    const op: any = await pollUntil(`operation ${opId} to finish`, async () => {
      const current = await platform.deps.store.getOperation(opId);
      return current && (current.status === 'SUCCEEDED' || current.status === 'FAILED') ? current : undefined;
    }, 30_000, 50);
    expect(op.status).toBe('SUCCEEDED');
    const succeeded = op.steps.filter((s: any) => s.status === 'SUCCEEDED').map((s: any) => s.name);
    expect(new Set(succeeded).size).toBe(succeeded.length);
    expect(succeeded).toEqual(['create-database', 'store-credentials', 'create-content-dir', 'create-pool', 'create-route', 'start-service', 'await-runtime']);
    expect(op.steps.every((s: any) => s.status !== 'IN_PROGRESS')).toBe(true);
    // The resumed worker ran only the steps that had not succeeded before the crash.
    expect(runtime.calls.filter((c) => c === 'run:create-database')).toEqual([]);
    expect((await platform.deps.store.getInstance('crashy'))!.provisioningState).toBe('ACTIVE');
  }, 60_000);
});
