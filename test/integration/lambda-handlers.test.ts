/**
 * The Lambda handlers with real event shapes, on DynamoDB Local + fauxqs: API Gateway HTTP API
 * (2.0) and REST (1.0) events into the API; an SQS batch with one poison message (the others
 * succeed; the poison one comes back, then goes to the DLQ), driven the way Lambda's event source
 * mapping does (receive, invoke, delete what did not fail); seed 004's EventBridge events with a
 * duplicate and a late one; a scheduled reconciler run. Secrets and the JWT signing key are in
 * Secrets Manager, the handlers' default: a FAKE of it (no emulator is reachable here) answers for
 * every SecretsManagerClient of this process (test/support/fake-secrets-manager.ts).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTokenAuthority } from '../../src/adapters/auth/jwt.js';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startFauxqsEmulator, type RunningEmulator } from '../../src/adapters/aws/emulators.js';
import { openPlatformSecrets, signingKeySecretName } from '../../src/main/platform-secrets.js';
import { sharedDynamoDbLocal } from '../support/aws-harness.js';
import { createFakeSecretsManager } from '../support/fake-secrets-manager.js';
import { pollUntil } from '../support/poll.js';
import { ecsEvent } from '../support/scripted-runtime.js';

const ctx = { lambdaContext: { awsRequestId: 'req-1', functionName: 'bbws-api-dev' } as never };

function httpApiEvent(method: string, path: string, token: string, body?: unknown) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', host: 'api.example.com' },
    requestContext: { accountId: '1', apiId: 'api', domainName: 'api.example.com', http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' }, requestId: randomUUID(), routeKey: '$default', stage: '$default', time: '', timeEpoch: Date.now() },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

describe('Lambda handlers on the emulators', () => {
  let sqsEmulator: RunningEmulator;
  let dataDir: string;
  let token: string;
  let sqs: SQSClient;
  const saved = { ...process.env };
  const secretsManager = createFakeSecretsManager({ everyClient: true });

  beforeAll(async () => {
    const ddb = await sharedDynamoDbLocal();
    sqsEmulator = await startFauxqsEmulator();
    dataDir = mkdtempSync(join(tmpdir(), 'bbws-lambda-'));
    Object.assign(process.env, {
      BBWS_DATA_DIR: dataDir,
      BBWS_DYNAMODB_ENDPOINT: ddb.endpoint,
      BBWS_SQS_ENDPOINT: sqsEmulator.endpoint,
      BBWS_SNS_ENDPOINT: sqsEmulator.endpoint,
      BBWS_TABLE_NAME: `bbws-test-${randomUUID()}`,
      BBWS_RATE_LIMIT: '0',
      AWS_REGION: EMULATOR_REGION,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    });
    // As `bbws token create --secrets secretsmanager` signs: with the key in Secrets Manager, made on first use.
    const key = await (await openPlatformSecrets({ secrets: 'secretsmanager', region: EMULATOR_REGION, endpoints: {} }, { dataDir, env: 'dev' })).signingKey();
    token = await createTokenAuthority(key).sign({ role: 'platform-admin' }, 600);
    sqs = new SQSClient({ endpoint: sqsEmulator.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
  });
  afterAll(async () => {
    const { lambdaPlatform } = await import('../../src/main/lambda/compose.js');
    for (const roles of [['api'], []] as const) await (await lambdaPlatform(roles)).stop();
    sqs?.destroy();
    await sqsEmulator?.stop();
    secretsManager.restore();
    process.env = saved;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves API Gateway v2 and REST proxy events through the same app', async () => {
    const { handler } = await import('../../src/main/lambda/api.js');
    const created = await handler(httpApiEvent('POST', '/v1.0/tenants', token, { tenantName: 'acme' }) as never, ctx.lambdaContext);
    expect(created.statusCode).toBe(202);
    expect(JSON.parse(created.body)).toMatchObject({ tenantId: 'acme', provisioningState: 'PROVISIONING' });
    const rest = {
      resource: '/{proxy+}', path: '/v1.0/tenants/acme', httpMethod: 'GET', headers: { Authorization: `Bearer ${token}` }, multiValueHeaders: {}, queryStringParameters: null, multiValueQueryStringParameters: null,
      pathParameters: { proxy: 'v1.0/tenants/acme' }, stageVariables: null, requestContext: { requestId: randomUUID(), identity: { sourceIp: '203.0.113.9' }, httpMethod: 'GET', path: '/prod/v1.0/tenants/acme', stage: 'prod' }, body: null, isBase64Encoded: false,
    };
    const got = await handler(rest as never, ctx.lambdaContext);
    expect(got.statusCode).toBe(200);
    expect(JSON.parse(got.body)).toMatchObject({ tenantId: 'acme' });
    const denied = await handler(httpApiEvent('GET', '/v1.0/tenants', 'not-a-token') as never, ctx.lambdaContext);
    expect(denied.statusCode).toBe(401);
  });

  it('keeps the signing key in Secrets Manager, one for every instance, and none in the data dir', async () => {
    const { handler } = await import('../../src/main/lambda/api.js');
    expect((await handler(httpApiEvent('GET', '/v1.0/tenants/acme', token) as never, ctx.lambdaContext)).statusCode).toBe(200);
    expect([...secretsManager.stored.keys()]).toContain(signingKeySecretName('dev'));
    expect(existsSync(join(dataDir, 'jwt.key'))).toBe(false);
    // A second instance (another process's first start) reads the same key: the token verifies there too.
    const other = await (await openPlatformSecrets({ secrets: 'secretsmanager', region: EMULATOR_REGION, endpoints: {} }, { dataDir: join(dataDir, 'other'), env: 'dev' })).signingKey();
    await expect(createTokenAuthority(other).verify(token)).resolves.toMatchObject({ role: 'platform-admin' });
  });

  it('applies seed 004 EventBridge events; a duplicate and a late one change nothing; a bad one throws (retry, then DLQ)', async () => {
    const { handler } = await import('../../src/main/lambda/ecs-events.js');
    // Past times: an event more than 5 minutes ahead of the clock is ignored as from the future.
    const t0 = Date.now() - 20 * 60_000;
    const steady = ecsEvent('dev', 'acme', 'SERVICE_STEADY_STATE', {}, new Date(t0 + 2000));
    expect(await handler(steady as never)).toMatchObject({ status: 'success', provisioningState: 'ACTIVE' });
    expect(await handler(steady as never)).toMatchObject({ status: 'ignored', reason: 'Duplicate event' });
    const late = ecsEvent('dev', 'acme', 'SERVICE_TASK_START_IMPAIRED', {}, new Date(t0 + 1000));
    expect(await handler(late as never)).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/^Stale event/) });
    await expect(handler({ source: 'aws.ecs' } as never)).rejects.toMatchObject({ code: 'INVALID_EVENT' });
  });

  it('writes the invocation\'s metrics as CloudWatch EMF lines (BBWS/WPTechnical) before it returns', async () => {
    const { handler } = await import('../../src/main/lambda/ecs-events.js');
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      await handler(ecsEvent('dev', 'acme', 'SERVICE_STEADY_STATE', {}, new Date(Date.now() - 60_000)) as never);
    } finally {
      spy.mockRestore();
    }
    const emf = lines.map((l) => JSON.parse(l)).find((d) => d._aws && 'bbws_ecs_events_total' in d);
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('BBWS/WPTechnical');
    expect(emf).toMatchObject({ Environment: 'dev', event: 'SERVICE_STEADY_STATE' });
  });

  it('an SQS batch with one poison message: the others succeed; the poison one comes back, then goes to the DLQ', async () => {
    const { handler } = await import('../../src/main/lambda/worker.js');
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'bbws-ecs-events-dev' }));
    const { QueueUrl: dlqUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'bbws-ecs-events-dlq-dev' }));
    const t0 = Date.now() - 10 * 60_000;
    const good = ['SERVICE_DEPLOYMENT_IN_PROGRESS', 'SERVICE_DEPLOYMENT_COMPLETED'].map((name, i) => ecsEvent('dev', 'acme', name, {}, new Date(t0 + i * 1000)));
    for (const e of good) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(e) }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"this is": "poison"' }));

    // What Lambda's event source mapping does, round by round.
    const rounds: string[][] = [];
    for (let round = 0; round < 4; round++) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }));
      if (Messages.length === 0) break;
      const event: SQSEvent = {
        Records: Messages.map((m) => ({
          messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, body: m.Body!, attributes: m.Attributes as never, messageAttributes: {}, md5OfBody: m.MD5OfBody!,
          eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bbws-ecs-events-dev', awsRegion: 'us-east-1',
        })),
      };
      const { batchItemFailures } = await handler(event);
      const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      rounds.push(Messages.filter((m) => failed.has(m.MessageId!)).map((m) => m.Body!));
      for (const m of Messages) {
        if (!failed.has(m.MessageId!)) await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle! }));
        // Instead of waiting out the 30 s visibility timeout.
        else await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
      }
    }
    expect(rounds).toEqual([['{"this is": "poison"'], ['{"this is": "poison"'], ['{"this is": "poison"']]);
    const { Messages: dead = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }));
    expect(dead.map((m) => m.Body)).toEqual(['{"this is": "poison"']);
  });

  it('publishes notifications to the SNS topic; the queue subscribed to it feeds the webhooks through the worker', async () => {
    const received: Array<Record<string, unknown>> = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => (received.push(JSON.parse(body)), res.end('ok')));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const { lambdaPlatform } = await import('../../src/main/lambda/compose.js');
      const { handler } = await import('../../src/main/lambda/worker.js');
      const { deps, webhookFeed } = await lambdaPlatform();
      expect(webhookFeed?.queueName).toBe('bbws-wp-notifications-webhooks-dev');
      await deps.webhooks.addWebhook({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, publicOnly: false });
      const notification = { notificationId: randomUUID(), type: 'site.created' as const, tenantId: 'acme', siteId: 'aaaaaaaaaa', data: { siteName: 'shop' }, occurredAt: new Date().toISOString() };
      await deps.notifier.publish(notification);
      // Nothing reaches the webhooks before the worker has the topic's message.
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: webhookFeed!.queueName }));
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, MessageSystemAttributeNames: ['All'] }));
      expect(Messages).toHaveLength(1);
      expect(received).toEqual([]);
      const record = (m: (typeof Messages)[number]) => ({
        messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, body: m.Body!, attributes: m.Attributes as never, messageAttributes: {}, md5OfBody: m.MD5OfBody!,
        eventSource: 'aws:sqs', eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${webhookFeed!.queueName}`, awsRegion: 'us-east-1',
      });
      // The same message twice (SQS delivers at least once) and one that is not a notification.
      const poison = { ...record(Messages[0]), messageId: 'poison', body: '{"not":"a notification"}' };
      const { batchItemFailures } = await handler({ Records: [record(Messages[0]), { ...record(Messages[0]), messageId: 'again' }, poison] });
      expect(batchItemFailures).toEqual([{ itemIdentifier: 'poison' }]);
      await pollUntil('the webhook delivery', async () => received.length > 0, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(received).toHaveLength(1);
      expect(JSON.stringify(received[0])).toContain(notification.notificationId);
    } finally {
      receiver.close();
    }
  });

  it('runs the reconciler on a schedule', async () => {
    const { handler } = await import('../../src/main/lambda/reconciler.js');
    expect(await handler()).toEqual({ notificationsRelayed: 0, messagesRelayed: 0 });
  });
});
