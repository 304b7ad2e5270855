/**
 * The helper spawner (helper-spawner.ts) on real programs: what exec.ts's `run` returns and throws
 * is the same through it, helpers are its children and inherit its niceness, and `run` falls back
 * to spawning from this process once the spawner is gone.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ExecError, releaseHelperSpawner, run, setHelperNiceness, useHelperSpawner } from '../../src/adapters/runtime/local/exec.js';
import { startHelperSpawner, type HelperSpawner } from '../../src/adapters/runtime/local/helper-spawner.js';

const niceOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
const isRoot = process.getuid?.() === 0;

describe('helper spawner', () => {
  let spawner: HelperSpawner | null = null;
  afterEach(() => {
    releaseHelperSpawner(spawner);
    setHelperNiceness(0);
    spawner = null;
  });
  const start = async () => {
    spawner = await startHelperSpawner((c, a) => ['nice', ['-n', '19', c, ...a]]);
    expect(spawner).not.toBeNull();
    useHelperSpawner(spawner);
    setHelperNiceness(19);
    return spawner!;
  };

  it('runs helpers as its own children, at its niceness, with stdin, env and exit codes as run() gives them', async () => {
    const s = await start();
    expect(niceOf(s.pid!)).toBe(19);
    // $PPID of a helper is the spawner, not this process.
    const ppid = Number((await run('sh', ['-c', 'echo $PPID'])).stdout.trim());
    expect(ppid).toBe(s.pid);
    expect(Number((await run('sh', ['-c', 'cut -d" " -f19 /proc/$$/stat'])).stdout.trim())).toBe(19);
    expect((await run('cat', [], { input: "x'; DROP TABLE t; --" })).stdout).toBe("x'; DROP TABLE t; --");
    expect((await run('sh', ['-c', 'echo "$FOO"'], { env: { FOO: 'a b $HOME' } })).stdout).toBe('a b $HOME\n');
    // Arguments are never re-parsed by a shell.
    expect((await run('echo', ['$(id)', ';', '&&'])).stdout).toBe('$(id) ; &&\n');
    const failed = await run('sh', ['-c', 'echo oops >&2; exit 3']).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ExecError);
    expect(failed).toMatchObject({ exitCode: 3, stderr: 'oops\n', command: 'sh' });
    const missing = await run('bbws-no-such-program', []).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ExecError);
    expect(missing).toMatchObject({ exitCode: null });
    expect(String((missing as Error).message)).toMatch(/bbws-no-such-program failed \(could not start\)/);
    const slow = await run('sleep', ['5'], { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(slow).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
  });

  it.skipIf(!isRoot)('runs a helper as the given uid/gid', async () => {
    await start();
    expect((await run('id', ['-u'], { uid: 65534, gid: 65534 })).stdout.trim()).toBe('65534');
  });

  it('falls back to spawning from this process when the spawner is gone', async () => {
    const s = await start();
    s.stop();
    await new Promise<void>((r) => {
      const t = setInterval(() => {
        if (!s.alive()) clearInterval(t), r();
      }, 10);
    });
    const ppid = Number((await run('sh', ['-c', 'echo $PPID'])).stdout.trim());
    expect(ppid).toBe(process.pid);
  });
});
