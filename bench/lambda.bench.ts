/**
 * Lambda bundles: size of each (esbuild, minified; target ≤ 1.5 MB) as shipped (the AWS SDK left to
 * Lambda's runtime, scripts/bundle-lambda.mjs) and, beside it, with the SDK bundled in; and cold init
 * time measured here (target ≤ 300 ms): a fresh Node process imports the bundle and serves one small event,
 * against DynamoDB Local and fauxqs. Prints per handler the median of RUNS starts of the module
 * import alone and of import + first invocation (what Lambda bills as Init plus the first call's
 * composition of the platform).
 *
 *   node --import tsx bench/lambda.bench.ts   (npm run bench:lambda)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startDynamoDbLocal, startFauxqsEmulator } from '../src/adapters/aws/emulators.js';
// @ts-expect-error plain ES module script
import { bundleLambdas } from '../scripts/bundle-lambda.mjs';

const RUNS = Number(process.env.RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const EVENTS: Record<string, unknown> = {
  api: { version: '2.0', routeKey: '$default', rawPath: '/health', rawQueryString: '', headers: { host: 'api' }, requestContext: { http: { method: 'GET', path: '/health', sourceIp: '203.0.113.9' }, requestId: 'r' }, isBase64Encoded: false },
  worker: { Records: [] },
  'ecs-events': { version: '0', id: 'bench-1', 'detail-type': 'ECS Service Action', source: 'aws.ecs', time: '2030-01-01T00:00:00Z', resources: [], detail: { eventType: 'INFO', eventName: 'SERVICE_STEADY_STATE', clusterArn: 'arn:aws:ecs:x:1:cluster/other', tags: [] } },
  reconciler: {},
};

type Bundles = Record<string, { totalBytes: number; dir: string }>;
const sizes = (await bundleLambdas({ quiet: true })) as Bundles;
const withSdkDir = mkdtempSync(join(tmpdir(), 'bbws-lambda-sdk-'));
const withSdk = (await bundleLambdas({ quiet: true, bundleAwsSdk: true, outRoot: withSdkDir })) as Bundles;
rmSync(withSdkDir, { recursive: true, force: true });
const mb = (bytes: number) => (bytes / 1e6).toFixed(2);
const dynamo = await startDynamoDbLocal();
const sqs = await startFauxqsEmulator();
try {
  process.stdout.write(`handler      bundle MB   (SDK bundled in)   import ms (median of ${RUNS})   import + first event ms\n`);
  for (const [name, { totalBytes, dir }] of Object.entries(sizes)) {
    const imports: number[] = [];
    const inits: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'bbws-lambda-bench-'));
      const script = `const t0 = performance.now(); const m = await import(${JSON.stringify(join(dir, 'index.mjs'))}); const t1 = performance.now();
        await m.handler(${JSON.stringify(EVENTS[name])}, { awsRequestId: 'b' }); const t2 = performance.now();
        process.stdout.write(JSON.stringify({ imp: t1 - t0, init: t2 - t0 })); process.exit(0);`;
      // Not execFileSync: fauxqs runs in this process, and a blocked event loop would never answer the child.
      const { stdout: out } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        timeout: 60_000,
        env: {
          ...process.env,
          BBWS_DATA_DIR: dataDir,
          BBWS_LOG_LEVEL: 'error',
          // No Secrets Manager is reachable here (the handlers' default): the data dir's store.
          BBWS_SECRETS: 'local',
          BBWS_DYNAMODB_ENDPOINT: dynamo.endpoint,
          BBWS_SQS_ENDPOINT: sqs.endpoint,
          BBWS_SNS_ENDPOINT: sqs.endpoint,
          BBWS_TABLE_NAME: `bench-${randomUUID()}`,
          AWS_REGION: EMULATOR_REGION,
          AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
        },
      });
      rmSync(dataDir, { recursive: true, force: true });
      const { imp, init } = JSON.parse(out.slice(out.lastIndexOf('{'))) as { imp: number; init: number };
      imports.push(imp);
      inits.push(init);
    }
    process.stdout.write(`${name.padEnd(12)} ${mb(totalBytes).padStart(9)}   ${mb(withSdk[name].totalBytes).padStart(16)}   ${median(imports).toFixed(0).padStart(25)}   ${median(inits).toFixed(0).padStart(23)}\n`);
  }
  process.stdout.write('(first event includes creating the table and queues on a fresh emulator table; on AWS they exist)\n');
  const worst = Math.max(...Object.values(sizes).map((b) => b.totalBytes));
  process.stdout.write(`target bundle ≤ 1.5 MB as shipped: ${worst <= 1_500_000 ? 'met' : 'MISSED'} (largest ${mb(worst)} MB)\n`);
} finally {
  await sqs.stop();
  await dynamo.stop();
}
