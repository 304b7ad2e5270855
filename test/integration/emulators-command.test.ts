/**
 * `bbws emulators start`: the real CLI starts DynamoDB Local and fauxqs, prints settings that
 * work, and stops both on SIGTERM (DynamoDB Local's Java process gone by its PID).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { pollUntil } from '../support/poll.js';

const ENTRY = ['--import', 'tsx', join(__dirname, '..', 'support', 'cli-entry.ts')];
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('bbws emulators start', () => {
  it('prints BBWS_* settings that reach both emulators, and stops them on SIGTERM', async () => {
    const child = spawn(process.execPath, [...ENTRY, 'emulators', 'start', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await pollUntil('the settings on stdout', async () => stdout.includes('"pids"') || child.exitCode !== null, 60_000, 100);
      const out = JSON.parse(stdout) as { settings: Record<string, string>; pids: { dynamodbLocal: number } };
      expect(out.settings).toMatchObject({ BBWS_STATE: 'dynamodb', BBWS_QUEUES: 'sqs' });
      const credentials = { accessKeyId: out.settings.AWS_ACCESS_KEY_ID, secretAccessKey: out.settings.AWS_SECRET_ACCESS_KEY };
      const ddb = new DynamoDBClient({ endpoint: out.settings.BBWS_DYNAMODB_ENDPOINT, region: out.settings.AWS_REGION, credentials });
      const sqs = new SQSClient({ endpoint: out.settings.BBWS_SQS_ENDPOINT, region: out.settings.AWS_REGION, credentials });
      expect((await ddb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
      expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
      ddb.destroy();
      sqs.destroy();
      expect(alive(out.pids.dynamodbLocal)).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(alive(out.pids.dynamodbLocal)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      if (stderr.includes('Error')) console.error(stderr);
    }
  }, 90_000);
});
