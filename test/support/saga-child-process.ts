/** Starts saga-child.ts (the platform in a child process) and returns it with an API client to it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createTokenAuthority, loadOrCreateSigningKey } from '../../src/adapters/auth/jwt.js';

export async function startSagaChildProcess(cleanups: Array<() => Promise<void> | void>, dataDir: string, env: Record<string, string>, ...args: string[]) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'saga-child.ts'), dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const apiUrl = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
  const token = await createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key'))).sign({ role: 'platform-admin' }, 600);
  const api = (method: string, path: string, body?: unknown) =>
    fetch(apiUrl + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined }).then((r) => r.json() as Promise<any>);
  return { child, api };
}
