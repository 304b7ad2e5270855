/**
 * The supervisor on a real child (a shell that forks a `sleep`): niceness at start and after
 * setNiceness, for the child and what it forked, and kept across a restart.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { superviseProcess, waitFor, type Supervised } from '../../src/adapters/runtime/local/supervisor.js';
import { silentLogger } from '../support/local-runtime-harness.js';

/** Field 19 of /proc/<pid>/stat (after the parenthesised command name). */
const niceOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
const childrenOf = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);

describe('superviseProcess niceness', () => {
  let dir: string | undefined;
  let child: Supervised | undefined;
  afterEach(async () => {
    await child?.stop(2_000);
    if (dir) await rm(dir, { recursive: true, force: true });
    child = undefined;
    dir = undefined;
  });

  it('starts the child niced, renices it and its children with setNiceness, and a restart keeps the new value', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bbws-sup-'));
    child = await superviseProcess(
      {
        name: 'sleeper',
        command: '/bin/sh',
        args: ['-c', 'sleep 60 & wait'],
        logFile: join(dir, 'out.log'),
        ready: async () => undefined,
        niceness: 10,
      },
      silentLogger(),
    );
    const pid = child.status().pid!;
    await waitFor('the forked sleep', async () => {
      if (childrenOf(pid).length === 0) throw new Error('not yet');
    }, 5_000, 10);
    expect(niceOf(pid)).toBe(10);
    expect(childrenOf(pid).map(niceOf)).toEqual([10]);

    child.setNiceness(0);
    expect(niceOf(pid)).toBe(0);
    expect(childrenOf(pid).map(niceOf)).toEqual([0]);

    process.kill(pid, 'SIGKILL');
    await waitFor('a restart', async () => {
      const now = child!.status();
      if (now.pid === pid || now.state !== 'running') throw new Error('not restarted yet');
    }, 10_000, 20);
    expect(niceOf(child.status().pid!)).toBe(0);
  });

  it('caps the restart backoff at 5 s and resets it when a start becomes ready', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bbws-sup-'));
    const flag = join(dir, 'may-start');
    writeFileSync(flag, '');
    // Starts only while the flag exists (like nginx while a leftover holds its port); ready once it runs `sleep`.
    child = await superviseProcess(
      {
        name: 'flaky',
        command: '/bin/sh',
        args: ['-c', `[ -e '${flag}' ] || exit 1; exec sleep 60`],
        logFile: join(dir, 'out.log'),
        ready: (pid) => waitFor('sleep', async () => {
          if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep')) throw new Error('not yet');
        }, 5_000, 10, () => !existsSync(`/proc/${pid}`)),
      },
      silentLogger(),
    );
    const kill = () => process.kill(child!.status().pid!, 'SIGKILL');
    // 8 s of failed restarts: 250 ms doubling, the old code's next wait was 8 s, now at most 5 s.
    rmSync(flag);
    kill();
    await new Promise((r) => setTimeout(r, 8_000));
    expect(child.status().restarts).toBeGreaterThanOrEqual(5);
    writeFileSync(flag, '');
    let t0 = Date.now();
    await child.whenRunning();
    expect(Date.now() - t0).toBeLessThan(5_500);
    // That start was ready: the next crash restarts after 250 ms again, not after the grown delay.
    kill();
    await new Promise((r) => setTimeout(r, 20));
    t0 = Date.now();
    await child.whenRunning();
    expect(Date.now() - t0).toBeLessThan(1_500);
  }, 30_000);
});
