/**
 * The quick start where a new user meets it: a clone inside root's home, which is 0700 on Debian,
 * then `bbws up` with the default data dir (`./.bbws`). The runtime tree that tenants, nginx and
 * mysqld must reach cannot live under that home, so it is laid out under /var/lib/bbws/<key>
 * (layout.ts) and a tenant gets to ACTIVE. A start that cannot work says why and what to do, in
 * two lines, without a stack trace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTokenAuthority, loadOrCreateSigningKey } from '../../src/adapters/auth/jwt.js';
import { freePort } from '../../src/adapters/runtime/local/mariadb.js';
import { RELOCATED_RUNTIME_BASE } from '../../src/adapters/runtime/local/layout.js';
import { removeRuntimeLeftovers } from '../../src/adapters/runtime/local/teardown.js';
import { pollUntil } from '../support/poll.js';

const isRoot = process.getuid?.() === 0;
const CLI = join(__dirname, '../support/cli-entry.ts');
/** tsx's loader by path: the clone's cwd is elsewhere, where `--import tsx` would not resolve. */
const TSX = pathToFileURL(join(__dirname, '../../node_modules/tsx/dist/loader.mjs')).href;

/** `bbws <args>` in `cwd`, as a user types it (no BBWS_* settings inherited). */
function bbws(cwd: string, args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BBWS_')));
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

function edgeGet(port: number, host: string): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/', headers: { host: `${host}:${port}` } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode!, location: res.headers.location });
    })
      .on('error', reject)
      .end();
  });
}

describe.runIf(isRoot)('first run from a clone in a private (0700) home directory', () => {
  const homes: string[] = [];
  const children: ChildProcess[] = [];
  const home = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bbws-home-'));
    homes.push(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const clone = join(dir, 'bbws');
    mkdirSync(clone, { mode: 0o755 });
    return clone;
  };
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const dir of homes) {
      await removeRuntimeLeftovers(join(dir, 'bbws', '.bbws')).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`bbws up` lays the runtime out under /var/lib/bbws and provisions a tenant to ACTIVE', async () => {
    const clone = home();
    const dataDir = join(clone, '.bbws');
    const [apiPort, edgePort] = [await freePort(), await freePort()];
    const up = bbws(clone, ['up', '--api-port', String(apiPort), '--edge-port', String(edgePort)]);
    children.push(up.child);
    const started = await Promise.race([
      pollUntil('platform.json', async () => existsSync(join(dataDir, 'platform.json')) && JSON.parse(readFileSync(join(dataDir, 'platform.json'), 'utf8')), 150_000, 100),
      up.exited.then((code) => {
        throw new Error(`bbws up exited (${code}):\n${up.output()}`);
      }),
    ]);
    const runtimeRoot = readFileSync(join(dataDir, 'runtime-root'), 'utf8').trim();
    expect(runtimeRoot.startsWith(`${RELOCATED_RUNTIME_BASE}/`)).toBe(true);
    expect(statSync(runtimeRoot).mode & 0o777).toBe(0o711);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(up.output()).not.toMatch(/not searchable|\n\s+at /);

    const token = await createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key'))).sign({ role: 'platform-admin' }, 600);
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(started.apiUrl + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return (await res.json()) as any;
    };
    const created = await api('POST', '/v1.0/tenants', { tenantName: 'first' });
    const op = await pollUntil('the provisioning operation', async () => {
      const o = await api('GET', `/v1.0/operations/${created.operationId}`);
      return o.status === 'SUCCEEDED' || o.status === 'FAILED' ? o : undefined;
    }, 120_000, 200);
    expect(op.status, JSON.stringify(op.error)).toBe('SUCCEEDED');
    expect((await api('GET', '/v1.0/tenants/first/instance')).provisioningState).toBe('ACTIVE');
    const res = await edgeGet(edgePort, 'first.wpdev.localhost');
    expect(res.status).toBe(302);
    expect(res.location).toMatch(/\/wp-admin\/install\.php$/);
    expect(existsSync(join(runtimeRoot, 'tenants', 'first', 'www'))).toBe(true);

    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
  }, 300_000);

  it('a start that cannot work prints the problem and the next step, never a stack trace', async () => {
    const clone = home();
    const dataDir = join(clone, '.bbws');
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(join(dataDir, 'runtime-root'), '/etc\n');
    const up = bbws(clone, ['up', '--api-port', String(await freePort()), '--edge-port', String(await freePort())]);
    children.push(up.child);
    expect(await up.exited).not.toBe(0);
    expect(up.output()).toMatch(/runtime-root names "\/etc", which is not a runtime tree bbws makes/);
    expect(up.output()).toMatch(/Next step: /);
    expect(up.output()).not.toMatch(/\n\s+at /);
  }, 120_000);
});
