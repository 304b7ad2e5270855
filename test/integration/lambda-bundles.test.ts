/**
 * The Lambda bundles as they ship (scripts/bundle-lambda.mjs): each within the 1.5 MB target, the
 * HTTP app only in the api bundle, and each bundle, imported by a fresh Node process, answering a
 * real event on DynamoDB Local + fauxqs. The AWS SDK stays outside the bundle, as Lambda's runtime
 * provides it: here a node_modules link beside the bundles stands in for the runtime's copy.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startFauxqsEmulator, type RunningEmulator } from '../../src/adapters/aws/emulators.js';
import { sharedDynamoDbLocal } from '../support/aws-harness.js';
// @ts-expect-error plain ES module script
import { bundleLambdas } from '../../scripts/bundle-lambda.mjs';

type Bundles = Record<string, { totalBytes: number; dir: string; inputs: string[] }>;
const repo = resolve(import.meta.dirname, '../..');

describe('Lambda bundles', () => {
  let dir: string;
  let bundles: Bundles;
  let sqs: RunningEmulator;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bbws-bundles-'));
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
    bundles = (await bundleLambdas({ quiet: true, outRoot: join(dir, 'lambda') })) as Bundles;
    const ddb = await sharedDynamoDbLocal();
    sqs = await startFauxqsEmulator();
    env = {
      ...process.env,
      BBWS_DATA_DIR: join(dir, 'data'),
      BBWS_LOG_LEVEL: 'error',
      // No Secrets Manager is reachable from a child process here (the fake answers in-process only):
      // the data dir's store. test/integration/lambda-handlers.test.ts covers the Secrets Manager default.
      BBWS_SECRETS: 'local',
      BBWS_DYNAMODB_ENDPOINT: ddb.endpoint,
      BBWS_SQS_ENDPOINT: sqs.endpoint,
      BBWS_SNS_ENDPOINT: sqs.endpoint,
      BBWS_TABLE_NAME: `bbws-bundles-${randomUUID()}`,
      AWS_REGION: EMULATOR_REGION,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    };
  }, 120_000);
  afterAll(async () => {
    await sqs?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Imports a bundle in a fresh Node process (as Lambda's init does) and invokes it with one event. */
  async function invoke(name: string, event: unknown): Promise<unknown> {
    const script = `const m = await import(${JSON.stringify(join(bundles[name].dir, 'index.mjs'))});
      const out = await m.handler(${JSON.stringify(event)}, { awsRequestId: 'bundle-test' });
      process.stdout.write('\\n' + JSON.stringify(out), () => process.exit(0));`;
    // Asynchronous: fauxqs runs in this process and must keep answering the child.
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env, timeout: 60_000 });
    return JSON.parse(stdout.slice(stdout.lastIndexOf('\n') + 1));
  }

  it('keeps every handler within 1.5 MB, the HTTP app in the api bundle only, and the AWS SDK out', () => {
    expect(Object.keys(bundles).sort()).toEqual(['api', 'ecs-events', 'reconciler', 'worker']);
    for (const [name, b] of Object.entries(bundles)) {
      expect(b.totalBytes, name).toBeLessThanOrEqual(1_500_000);
      expect(b.inputs.some((i) => i.includes('node_modules/@aws-sdk/')), name).toBe(false);
      expect(b.inputs.includes('src/http/build-app.ts'), name).toBe(name === 'api');
    }
  });

  it('serves an API Gateway v2 event, the OpenAPI document included, from the api bundle', async () => {
    const event = (path: string) => ({ version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: '', headers: { host: 'api' }, requestContext: { http: { method: 'GET', path, sourceIp: '203.0.113.9' }, requestId: randomUUID() }, isBase64Encoded: false });
    const health = (await invoke('api', event('/health'))) as { statusCode: number };
    expect(health.statusCode).toBe(200);
    const doc = (await invoke('api', event('/openapi.json'))) as { statusCode: number; body: string };
    expect(doc.statusCode).toBe(200);
    expect(JSON.parse(doc.body)).toMatchObject({ openapi: expect.stringMatching(/^3\./) });
  }, 120_000);

  it('answers an empty SQS batch from the worker bundle and a scheduled run from the reconciler bundle', async () => {
    expect(await invoke('worker', { Records: [] })).toEqual({ batchItemFailures: [] });
    expect(await invoke('reconciler', { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} })).toEqual({ notificationsRelayed: expect.any(Number), messagesRelayed: expect.any(Number) });
  }, 120_000);
});
