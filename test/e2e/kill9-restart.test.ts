/**
 * A real `bbws up` (a child process running the CLI from source) with a tenant, then the faults
 * of issue 11 against it:
 * - a second `bbws up` on the same data dir is refused, says who holds it, and harms nothing;
 * - `kill -9` of bbws: its servers do not outlive it (parent-death signal), and after a restart no
 *   process of the old run survives, /health reports the new servers by their PIDs, the tenant
 *   serves again;
 * - SIGTERM of the restarted one exits well within 10 s and leaves no process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTokenAuthority, loadOrCreateSigningKey } from '../../src/adapters/auth/jwt.js';
import { isRunning, listProcesses, processIdentity, readCmdline } from '../../src/adapters/os/processes.js';
import { buildLocalEcsEvent } from '../../src/adapters/runtime/local/events.js';
import { freePort } from '../../src/adapters/runtime/local/mariadb.js';
import { removeRuntimeOf } from '../support/local-runtime-harness.js';
import { pollUntil } from '../support/poll.js';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dataDir = mkdtempSync(join(tmpdir(), 'bbws-kill9-up-'));
const children: ChildProcess[] = [];

interface Up {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startUp(apiPort: number, edgePort: number): Up {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/support/cli-entry.ts'), 'up', '--data-dir', dataDir, '--api-port', String(apiPort), '--edge-port', String(edgePort)], {
    cwd: repoRoot,
    env: { ...process.env, BBWS_RATE_LIMIT: '0', BBWS_HEALTH_INTERVAL_SECONDS: '5' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, stderr: () => err, exited };
}

/** Every process group of a server seen during the test: killed in afterAll whatever happened. */
const seenGroups = new Map<number, string | null>();
const noteGroup = (pgid: number) => void (seenGroups.has(pgid) ? undefined : seenGroups.set(pgid, processIdentity(pgid)));

/** Processes (not zombies) whose command line names the data dir: the servers of a run. */
function processesOfDataDir(): Array<{ pid: number; pgrp: number }> {
  const found = listProcesses()
    .filter((p) => p.state !== 'Z' && p.pid !== process.pid && readCmdline(p.pid).some((a) => a.includes(`${dataDir}/`)))
    .filter((p) => !children.some((c) => c.pid === p.pid));
  for (const p of found) noteGroup(p.pgrp);
  return found;
}

/** The servers a bbws supervises: its direct children (each leads its own process group). */
const childrenOf = (pid: number) => {
  const pids = listProcesses().filter((p) => p.ppid === pid && p.state !== 'Z').map((p) => p.pid);
  for (const p of pids) noteGroup(p);
  return pids;
};

function edge(port: number, host: string): Promise<number> {
  return new Promise((res) => {
    request({ host: '127.0.0.1', port, path: '/', headers: { host: `${host}:${port}` } }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode!));
    })
      .on('error', () => res(0))
      .end();
  });
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // Whatever a failed assertion left running of this data dir (only ours: matched by its path).
  // (Workers of a dead master no longer name it: their groups were noted while the test ran.)
  processesOfDataDir();
  for (const [g, leader] of seenGroups) {
    // A live leader of another identity: the group is gone and its ID reused by someone else.
    if (isRunning(g) && leader !== null && processIdentity(g) !== leader) continue;
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await removeRuntimeOf(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('bbws up under a second start, kill -9 and SIGTERM', () => {
  it('refuses a second up, leaves nothing of a killed run, and tells the truth after the restart', async () => {
    const [apiPort, edgePort] = [await freePort(), await freePort()];
    const first = startUp(apiPort, edgePort);
    const api = `http://127.0.0.1:${apiPort}`;
    await pollUntil('first bbws up', () => fetch(`${api}/health`).then((r) => r.ok, () => false), 120_000, 200);
    const token = await createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key'))).sign({ role: 'platform-admin' }, 3600);
    const call = (method: string, path: string, body?: unknown) =>
      fetch(api + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined }).then((r) => r.json() as Promise<any>);
    const created = await call('POST', '/v1.0/tenants', { tenantName: 'survivor' });
    await pollUntil('tenant ACTIVE', async () => (await call('GET', `/v1.0/operations/${created.operationId}`)).status === 'SUCCEEDED', 120_000, 200);
    const host = 'survivor.wpdev.localhost';
    expect(await edge(edgePort, host)).toBe(302);

    // A second up on the same data dir: refused at once, naming the holder; the first keeps serving.
    // Same ports, as a user would run it: the lock is what it reports, not the ports it also holds.
    const second = startUp(apiPort, edgePort);
    const refused = await Promise.race([second.exited, new Promise((r) => setTimeout(() => r({ code: 'still running after 60 s' }), 60_000))]);
    expect(refused).toMatchObject({ code: 1 });
    expect(second.stderr()).toContain(`in use by bbws pid ${first.child.pid}`);
    expect(second.stderr()).not.toMatch(/\n\s+at /); // no stack trace
    expect(await edge(edgePort, host)).toBe(302);

    // The tenant was reported unhealthy (as when a second up removed its sockets): FAILED by health.
    const impaired = buildLocalEcsEvent({ env: 'dev', tenantId: 'survivor', eventName: 'SERVICE_TASK_START_IMPAIRED', desiredCount: 1, runningCount: 0, reason: 'health check failed 3 times' });
    await call('POST', '/v1.0/events/ecs', impaired);
    expect((await call('GET', '/v1.0/tenants/survivor/instance')).provisioningState).toBe('FAILED');

    // kill -9: the servers die with bbws (parent-death signal), workers with their group at the latest on restart.
    const oldGroups = new Set(processesOfDataDir().map((p) => p.pgrp));
    const oldPids = childrenOf(first.child.pid!);
    expect(oldGroups.size).toBeGreaterThanOrEqual(3); // mariadbd, a php-fpm master, nginx
    first.child.kill('SIGKILL');
    await first.exited;
    await pollUntil('old masters gone (parent-death signal)', async () => oldPids.every((p) => !isRunning(p)), 10_000, 100);
    // Their workers too (same groups), before any restart: they held the edge port.
    await pollUntil('old workers gone', async () => !listProcesses().some((p) => oldGroups.has(p.pgrp) && isRunning(p.pid)), 10_000, 100);

    const restarted = startUp(apiPort, edgePort);
    await pollUntil('restarted bbws up', () => fetch(`${api}/health`).then((r) => r.ok, () => false), 120_000, 200);
    const newPids = childrenOf(restarted.child.pid!);
    for (const p of processesOfDataDir()) {
      expect(oldGroups.has(p.pgrp), `process ${p.pid} (${readCmdline(p.pid).join(' ')}) is of the killed run`).toBe(false);
      expect(newPids, `process ${p.pid} (${readCmdline(p.pid).join(' ')}) is not supervised by the new run`).toContain(p.pgrp);
    }
    const health = await fetch(`${api}/health`).then((r) => r.json() as Promise<any>);
    for (const name of ['mariadb', 'nginx']) {
      const c = health.components.find((x: any) => x.name === name);
      expect(c.status, JSON.stringify(c)).toBe('ok');
      expect(newPids).toContain(Number(/pid (\d+)/.exec(c.detail)![1]));
    }
    await pollUntil('tenant serves again', async () => (await edge(edgePort, host)) === 302, 30_000, 200);
    // ...and returns to ACTIVE by itself (the restarted health monitor reports it healthy).
    await pollUntil('tenant ACTIVE again', async () => (await call('GET', '/v1.0/tenants/survivor/instance')).provisioningState === 'ACTIVE', 30_000, 200);

    // SIGTERM: exits within 10 s, nothing left behind.
    const t0 = Date.now();
    restarted.child.kill('SIGTERM');
    expect((await restarted.exited).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(processesOfDataDir()).toEqual([]);
  }, 300_000);
});
