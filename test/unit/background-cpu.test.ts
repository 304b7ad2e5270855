/**
 * Background CPU placement (background-cpu.ts): the choice of CPUs, and on a real host with two or
 * more CPUs and taskset, that helpers and niced supervised children run pinned and go back to every
 * CPU when they are un-niced (go live). Skipped where the host cannot pin.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseBackgroundCpus, configureBackgroundCpus } from '../../src/adapters/runtime/local/background-cpu.js';
import { run, setHelperNiceness } from '../../src/adapters/runtime/local/exec.js';
import { superviseProcess, waitFor } from '../../src/adapters/runtime/local/supervisor.js';
import { silentLogger } from '../support/local-runtime-harness.js';

const cpusOf = (status: string) => /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
const cpusOfPid = (pid: number) => cpusOf(readFileSync(`/proc/${pid}/status`, 'utf8'));
const childrenOf = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);

describe('chooseBackgroundCpus', () => {
  it('pins to the last CPU on auto with two or more CPUs, and not at all otherwise', () => {
    expect(chooseBackgroundCpus('auto', 2, true)).toEqual({ background: '1', all: '0-1' });
    expect(chooseBackgroundCpus('auto', 8, true)).toEqual({ background: '7', all: '0-7' });
    expect(chooseBackgroundCpus('auto', 1, true)).toEqual({ background: null, all: '0' });
    expect(chooseBackgroundCpus('auto', 4, false).background).toBeNull();
    expect(chooseBackgroundCpus('off', 4, true).background).toBeNull();
    expect(chooseBackgroundCpus('2-3', 4, true).background).toBe('2-3');
  });

  it('refuses a setting that is not a CPU list', () => {
    expect(() => chooseBackgroundCpus('1; rm -rf /', 2, true)).toThrow(/BBWS_BACKGROUND_CPUS/);
  });
});

const canPin = availableParallelism() >= 2 && configureBackgroundCpus('auto').background !== null;

describe.skipIf(!canPin)('background work on a host that can pin', () => {
  const last = String(availableParallelism() - 1);
  const all = `0-${availableParallelism() - 1}`;
  afterAll(() => {
    setHelperNiceness(0);
    configureBackgroundCpus('off');
  });

  it('runs helpers on the background CPU, and prerequisite probes (foreground) on all', async () => {
    setHelperNiceness(19);
    expect(cpusOf((await run('cat', ['/proc/self/status'])).stdout)).toBe(last);
    expect(cpusOf((await run('cat', ['/proc/self/status'], { foreground: true })).stdout)).toBe(all);
    // A helper that cannot start is still an error naming the helper (taskset's exit code).
    await expect(run('bbws-no-such-program', [])).rejects.toThrow(/bbws-no-such-program failed/);
    setHelperNiceness(0);
    expect(cpusOf((await run('cat', ['/proc/self/status'])).stdout)).toBe(all);
  });

  it('starts a niced child and what it forks on the background CPU, and moves both back when un-niced', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bbws-cpu-'));
    const child = await superviseProcess(
      { name: 'sleeper', command: '/bin/sh', args: ['-c', 'sleep 60 & wait'], logFile: join(dir, 'out.log'), ready: async () => undefined, niceness: 19 },
      silentLogger(),
    );
    try {
      const pid = child.status().pid!;
      await waitFor('the forked sleep', async () => {
        if (childrenOf(pid).length === 0) throw new Error('not yet');
      }, 5_000, 10);
      expect(cpusOfPid(pid)).toBe(last);
      expect(childrenOf(pid).map(cpusOfPid)).toEqual([last]);
      child.setNiceness(0);
      await waitFor('every CPU again', async () => {
        if (cpusOfPid(pid) !== all || childrenOf(pid).some((p) => cpusOfPid(p) !== all)) throw new Error('still pinned');
      }, 5_000, 10);
      child.setNiceness(19);
      await waitFor('pinned again', async () => {
        if (cpusOfPid(pid) !== last) throw new Error('not pinned');
      }, 5_000, 10);
    } finally {
      await child.stop(2_000);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
