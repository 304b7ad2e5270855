/**
 * A real `bbws up` in a child process (the CLI from source) that a test can `kill -9` and start
 * again on the same data dir and ports, with a platform-admin API client: the kill -9 tests of
 * backups share it. `stop()` ends every child it started (by its own handle) and removes the
 * runtime tree and the data dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTokenAuthority, loadOrCreateSigningKey } from '../../src/adapters/auth/jwt.js';
import { freePort } from '../../src/adapters/runtime/local/mariadb.js';
import { removeRuntimeOf } from './local-runtime-harness.js';
import { pollUntil } from './poll.js';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export function killableUp(prefix: string) {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const children: ChildProcess[] = [];
  let ports: [number, number] | null = null;
  let current: { child: ChildProcess; exited: Promise<void> } | null = null;
  let token: string | null = null;
  const api = () => `http://127.0.0.1:${ports![0]}`;

  /** Starts `bbws up` (the first time on two free ports) and waits until it is healthy. */
  async function start(): Promise<void> {
    ports ??= [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/support/cli-entry.ts'), 'up', '--data-dir', dataDir, '--api-port', String(ports[0]), '--edge-port', String(ports[1])], {
      cwd: repoRoot,
      env: { ...process.env, BBWS_RATE_LIMIT: '0', BBWS_BACKUP_SCHEDULE: 'off' },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    children.push(child);
    current = { child, exited: new Promise<void>((r) => child.on('exit', () => r())) };
    await pollUntil('bbws up', () => fetch(`${api()}/health`).then((r) => r.ok, () => false), 120_000, 200);
    token ??= await createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key'))).sign({ role: 'platform-admin' }, 3600);
  }

  return {
    dataDir,
    start,
    /** `kill -9` of the running `bbws up`; resolves once it is gone. */
    async kill(): Promise<void> {
      current!.child.kill('SIGKILL');
      await current!.exited;
    },
    call: (method: string, path: string, body?: unknown) =>
      fetch(api() + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined }).then((r) => r.json() as Promise<any>),
    async stop(): Promise<void> {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.on('exit', r)) : undefined)));
      await removeRuntimeOf(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
