/**
 * Where background work runs: provisioning helpers (useradd, chown, php -l, the mariadb client…)
 * and php-fpm masters that do not serve visitors yet (a new tenant's nursery while it warms up, a
 * merge master) are pinned to one CPU with util-linux `taskset`, so that on a multi-core host the
 * other CPUs never run them and a neighbour's request always finds a CPU free of provisioning
 * work. Niceness alone (exec.ts, supervisor.ts) lowers their share but not the stretches a
 * niced process spends in the kernel (fork, exec, exit, page faults), which delay the wake-ups of
 * the processes that answer visitors on the same CPU.
 *
 * Degrades to "no pinning" (an empty prefix; nothing else changes) on a one-CPU host, without
 * `taskset`, or when asked (`BBWS_BACKGROUND_CPUS=off`). The helpers themselves are started by a
 * small spawner process that runs there (helper-spawner.ts).
 */
import { execFile, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface BackgroundCpus {
  /** The CPU list background work is pinned to (taskset syntax), or null: not pinned. */
  readonly background: string | null;
  /** Every CPU of the host (taskset syntax): what a process gets back when it goes live. */
  readonly all: string;
}

/**
 * Chooses the background CPU set from a setting (`auto`: the last CPU when there are at least two;
 * `off`; or an explicit taskset list such as `1` or `2-3`), the CPU count and whether taskset runs.
 */
export function chooseBackgroundCpus(setting: string, cpus: number, hasTaskset: boolean): BackgroundCpus {
  const all = cpus > 1 ? `0-${cpus - 1}` : '0';
  const s = setting.trim().toLowerCase();
  if (!hasTaskset || s === 'off' || s === 'none' || s === '') return { background: null, all };
  if (s === 'auto') return { background: cpus >= 2 ? String(cpus - 1) : null, all };
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(s)) throw new Error(`BBWS_BACKGROUND_CPUS: expected auto, off or a CPU list like 1 or 2-3, got ${JSON.stringify(setting)}`);
  return { background: s, all };
}

let current: BackgroundCpus = { background: null, all: '0' };

/** Set once by the local runtime at start from `BBWS_BACKGROUND_CPUS` (config.backgroundCpus); `off` turns pinning off. */
export function configureBackgroundCpus(setting: string): BackgroundCpus {
  const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
  current = chooseBackgroundCpus(setting, availableParallelism(), hasTaskset);
  return current;
}

export function backgroundCpus(): BackgroundCpus {
  return current;
}

/** `[command, args]` to start `command args…` on the background CPUs (unchanged when not pinned). */
export function onBackgroundCpus(command: string, args: readonly string[]): [string, string[]] {
  return current.background ? ['taskset', ['-c', current.background, command, ...args]] : [command, [...args]];
}

/**
 * Moves `pid` (every thread) to the background CPUs (`background` true) or back to all of them.
 * Failures (the process is gone) are ignored: the resolved value says whether taskset succeeded.
 */
export function setAffinity(pid: number, background: boolean): Promise<boolean> {
  const cpus = current.background;
  if (!cpus) return Promise.resolve(false);
  return new Promise((resolve) => execFile('taskset', ['-a', '-p', '-c', background ? cpus : current.all, String(pid)], { timeout: 5_000 }, (e) => resolve(!e)));
}
