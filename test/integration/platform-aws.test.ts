/**
 * The platform on its AWS adapters: DynamoDB Local for state, fauxqs for the queues, the scripted
 * runtime double for tenants. The same use cases run unchanged: a tenant goes ACTIVE, 50
 * concurrent creates of one tenant give exactly one 202, and kill -9 of the worker mid-saga loses
 * nothing (the operation resumes; no step runs twice).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, startFauxqsEmulator } from '../../src/adapters/aws/emulators.js';
import { parseConfig } from '../../src/main/config.js';
import { createLogger } from '../../src/main/logger.js';
import { startPlatform } from '../../src/main/platform.js';
import { parseStateSettings, type StateSettings } from '../../src/main/state-settings.js';
import { sharedDynamoDbLocal } from '../support/aws-harness.js';
import { startHarness } from '../support/platform-harness.js';
import { startSagaChildProcess } from '../support/saga-child-process.js';
import { createScriptedRuntime, type ScriptedRuntime } from '../support/scripted-runtime.js';
import { pollUntil } from '../support/poll.js';

describe('the platform on DynamoDB + SQS (emulators)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** Fresh fauxqs and table; the settings as `bbws emulators start` prints them. */
  async function emulatorEnv(): Promise<{ env: Record<string, string>; state: StateSettings }> {
    const ddb = await sharedDynamoDbLocal();
    const sqs = await startFauxqsEmulator();
    cleanups.push(() => sqs.stop());
    const env = {
      BBWS_STATE: 'dynamodb',
      BBWS_QUEUES: 'sqs',
      BBWS_DYNAMODB_ENDPOINT: ddb.endpoint,
      BBWS_SQS_ENDPOINT: sqs.endpoint,
      BBWS_SNS_ENDPOINT: sqs.endpoint,
      BBWS_TABLE_NAME: `bbws-test-${randomUUID()}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    };
    // The SDK's default credential chain reads the AWS_* variables of this process too.
    for (const [k, v] of Object.entries(env)) if (k.startsWith('AWS_')) process.env[k] = v;
    return { env, state: parseStateSettings({}, 'dev', env) };
  }

  it('creates a tenant to ACTIVE, and of 50 concurrent creates of one tenant exactly one is accepted', async () => {
    const { state } = await emulatorEnv();
    const h = await startHarness({}, { state });
    cleanups.push(() => h.stop());
    const created = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'acme' } });
    expect(created.status).toBe(202);
    expect((await h.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    await h.waitFor('acme ACTIVE', async () => (await h.request('GET', '/v1.0/tenants/acme')).body.instance?.provisioningState === 'ACTIVE');

    const racers = await Promise.all(Array.from({ length: 50 }, () => h.request('POST', '/v1.0/tenants', { body: { tenantName: 'racer' } })));
    const statuses = racers.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 202).every((s) => s === 409)).toBe(true);
    const winner = racers.find((r) => r.status === 202)!;
    expect((await h.waitForOperation(winner.body.operationId)).status).toBe('SUCCEEDED');
  }, 120_000);

  it('survives kill -9 of the worker mid-saga: the operation resumes from DynamoDB and SQS, no step runs twice', async () => {
    const { env, state } = await emulatorEnv();
    const dataDir = mkdtempSync(join(tmpdir(), 'bbws-aws-kill-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { child, api } = await startSagaChildProcess(cleanups, dataDir, env);
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
      state,
      logger: createLogger({ level: 'info', dataDir, stdout: false }),
      workerLeaseSeconds: 2,
      createRuntime: async ({ emit }) => (runtime = createScriptedRuntime(emit)),
    });
    cleanups.push(() => platform.stop());
    let op: any;
    op = await pollUntil('the resumed operation to finish', async () => {
      const cur = await platform.deps.store.getOperation(opId);
      return cur && (cur.status === 'SUCCEEDED' || cur.status === 'FAILED') ? cur : undefined;
    }, 60_000, 100);
    expect(op.status).toBe('SUCCEEDED');
    const succeeded = op.steps.filter((s: any) => s.status === 'SUCCEEDED').map((s: any) => s.name);
    expect(new Set(succeeded).size).toBe(succeeded.length);
    expect(runtime.calls.filter((c) => c === 'run:create-database')).toEqual([]);
    expect((await platform.deps.store.getInstance('crashy'))!.provisioningState).toBe('ACTIVE');
  }, 120_000);
});
