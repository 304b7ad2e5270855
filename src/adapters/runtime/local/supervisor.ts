/**
 * Supervises the servers bbws runs as its own children (mariadbd, php-fpm masters, nginx):
 * restarts a crashed child with exponential backoff and reports restarts in health().
 *
 * Each child is started in its own process group (`detached`), so that when a master dies its
 * workers die with it: an orphaned nginx worker keeps the edge port bound and an orphaned
 * php-fpm worker keeps serving from an unlinked socket, and either would make the restart fail
 * or misbehave. Stopping is by PID/PGID: SIGTERM, then SIGKILL after a timeout.
 *
 * Children do not outlive bbws: each is started through util-linux's `setpriv --pdeathsig KILL`,
 * so the kernel kills it when bbws dies, even by `kill -9` (the signal fires when the parent
 * *thread* that forked it exits: Node forks children from its main thread, which lives as long as
 * the process). A credential change clears that signal, so a child that must not run as root
 * (mariadbd) gets its user from setpriv too (`runAs`), not from its own `--user`. Each child also
 * gets a PID record (leftovers.ts) so that the next run can stop what a killed one left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { setPriority } from 'node:os';
import type { Logger } from '../../../ports/logger.js';
import { isRunning } from '../../os/processes.js';
import { removePidRecord, writePidRecord } from './leftovers.js';
import { errorMessage } from '../../../domain/errors.js';

export interface SupervisedSpec {
  name: string;
  command: string;
  args: string[];
  /** stdout and stderr of the child are appended here. */
  logFile: string;
  env?: Record<string, string>;
  /** Resolves when the child (this `pid`) is ready to serve (e.g. its socket accepts connections). */
  ready(pid: number): Promise<void>;
  /** Signal asking for a graceful stop (default SIGTERM; nginx uses SIGQUIT). */
  stopSignal?: NodeJS.Signals;
  /**
   * When the child exits before its FIRST start is ready, fail at once instead of restarting it
   * (a php-fpm config that does not start is an error to report, not a crash to retry).
   */
  failFast?: boolean;
  /** Called whenever the child exits (before any restart). */
  onExit?: () => void;
  /**
   * Niceness the child starts with (default 0). Background work (a php-fpm master being started
   * and warmed before it serves anyone) starts niced, so that it yields the CPU to the servers
   * that answer visitors, and is brought to 0 with {@link Supervised.setNiceness} when it goes live.
   */
  niceness?: number;
  /**
   * umask the child starts with (default: bbws's own, 0o077). php-fpm masters get a wider one so
   * that files the tenants' PHP writes are readable by the web group (layout.ts TENANT_PHP_UMASK).
   */
  umask?: number;
  /** PID records go here (leftovers.ts); the local runtime sets `<runtime>/pids`. */
  pidDir?: string;
  /** Run as this user and its group (set by setpriv, which keeps the parent-death signal). */
  runAs?: string;
  /**
   * Whether the socket the child serves on is held by the child itself (`pid`), not by a leftover
   * of an earlier run answering in its place; null when nothing listens. Used by ready checks and health.
   */
  owns?(pid: number): boolean | null;
}

/** spawn() forks synchronously, so the child inherits the umask set around the call (and only it). */
function spawnWithUmask<T>(umask: number | undefined, start: () => T): T {
  if (umask === undefined) return start();
  const previous = process.umask(umask);
  try {
    return start();
  } finally {
    process.umask(previous);
  }
}

export interface SupervisedStatus {
  name: string;
  pid: number | undefined;
  state: 'starting' | 'running' | 'backoff' | 'stopped';
  restarts: number;
  lastExit?: string;
}

export interface Supervised {
  readonly name: string;
  status(): SupervisedStatus;
  /** Sends a signal to the master only (e.g. SIGUSR2 for a php-fpm reload). */
  signal(sig: NodeJS.Signals): void;
  stop(timeoutMs?: number): Promise<void>;
  /** Resolves after the next successful (re)start; used by tests waiting for a restart. */
  whenRunning(): Promise<void>;
  /** Sets the niceness of the child and of the processes it forked; a restart keeps it. */
  setNiceness(n: number): void;
  /**
   * What is wrong with the child right now, checked by its PID, or null: "running" only counts
   * when that PID is alive (not a zombie) and, with `owns`, holds the socket it serves on.
   */
  problem(): string | null;
}

const BACKOFF_MIN_MS = 250;
/**
 * Restart delays double up to this. It was 30 s: while a leftover server held the port, the
 * delay grew, and once the port was free the edge stayed down 24 s more. A start that becomes
 * ready resets the delay.
 */
export const BACKOFF_MAX_MS = 5_000;

const SETPRIV = '/usr/bin/setpriv';

/**
 * The command line that starts `spec`: under `setpriv` (parent-death signal, and the user to run
 * as) when util-linux has it, then `nice` when niced.
 */
export function launchCommand(spec: Pick<SupervisedSpec, 'command' | 'args' | 'runAs'>, niceness: number, setpriv = existsSync(SETPRIV)): [string, string[]] {
  // Niced from its first instruction: `nice` execs the command in the same process. Renicing
  // after spawn raced with the child's own forks (a worker forked first kept niceness 0).
  const inner = niceness > 0 ? ['nice', '-n', String(niceness), spec.command, ...spec.args] : [spec.command, ...spec.args];
  if (!setpriv) return [inner[0]!, inner.slice(1)];
  const user = spec.runAs ? [`--reuid=${spec.runAs}`, `--regid=${spec.runAs}`, '--init-groups'] : [];
  return [SETPRIV, [...user, '--pdeathsig', 'KILL', '--', ...inner]];
}

/** Kills the child's whole process group, ignoring "no such process". */
function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Renices `pid` and its direct children (php-fpm workers, nginx workers); gone processes are skipped. */
function renice(pid: number, n: number): void {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    /* not Linux, or gone */
  }
  for (const p of [pid, ...children]) {
    try {
      setPriority(p, n);
    } catch {
      /* exited meanwhile */
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts `spec` and keeps it running; resolves once the first start is ready. */
export async function superviseProcess(spec: SupervisedSpec, logger: Logger): Promise<Supervised> {
  let child: ChildProcess | undefined;
  let state: SupervisedStatus['state'] = 'starting';
  let restarts = 0;
  let lastExit: string | undefined;
  let backoff = BACKOFF_MIN_MS;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let waiters: Array<() => void> = [];
  let log: WriteStream | undefined = createWriteStream(spec.logFile, { flags: 'a' });
  const log_ = logger.child({ component: spec.name });

  let everReady = false;
  let niceness = spec.niceness ?? 0;
  const startOnce = (): Promise<void> =>
    new Promise((resolve, reject) => {
      state = 'starting';
      const [command, args] = launchCommand(spec, niceness);
      const c = spawnWithUmask(spec.umask, () => spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', ...spec.env } }));
      child = c;
      if (spec.pidDir && c.pid) writePidRecord(spec.pidDir, spec.name, c.pid);
      c.stdout?.pipe(log!, { end: false });
      c.stderr?.pipe(log!, { end: false });
      let exited = false;
      c.on('error', (e) => {
        exited = true;
        reject(e);
      });
      c.on('exit', (code, sig) => {
        exited = true;
        lastExit = sig ? `signal ${sig}` : `exit code ${code}`;
        // Take the workers down with the master (see the module comment).
        if (c.pid) killGroup(c.pid, 'SIGKILL');
        if (spec.pidDir && c.pid) removePidRecord(spec.pidDir, c.pid);
        spec.onExit?.();
        if (stopping) return;
        if (spec.failFast && !everReady) {
          stopping = true;
          state = 'stopped';
          reject(new Error(`${spec.name} exited during start (${lastExit})`));
          return;
        }
        state = 'backoff';
        log_.warn({ lastExit, restarts, backoffMs: backoff }, `${spec.name} exited; restarting`);
        restartTimer = setTimeout(() => {
          restarts += 1;
          startOnce().catch((e) => log_.error({ err: String(e) }, `${spec.name} restart failed`));
        }, backoff);
        backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
      });
      spec
        .ready(c.pid ?? 0)
        .then(() => {
          if (exited) return reject(new Error(`${spec.name} exited during start (${lastExit})`));
          everReady = true;
          state = 'running';
          backoff = BACKOFF_MIN_MS;
          const w = waiters;
          waiters = [];
          w.forEach((f) => f());
          resolve();
        })
        .catch((e) => {
          if (c.pid && !exited) killGroup(c.pid, 'SIGKILL');
          reject(e);
        });
    });

  const handle: Supervised = {
    name: spec.name,
    status: () => ({ name: spec.name, pid: child?.pid, state, restarts, lastExit }),
    problem() {
      const pid = child?.pid;
      if (state !== 'running' || !pid) return null;
      if (!isRunning(pid)) return `pid ${pid} is not running`;
      const owned = spec.owns?.(pid);
      if (owned === false) return `its socket is held by another process, not by pid ${pid}`;
      if (owned === null) return `pid ${pid} is not listening`;
      return null;
    },
    signal(sig) {
      if (child?.pid) process.kill(child.pid, sig);
    },
    whenRunning: () => (state === 'running' ? Promise.resolve() : new Promise((r) => waiters.push(r))),
    setNiceness(n) {
      niceness = n;
      if (child?.pid && isAlive(child.pid)) renice(child.pid, n);
    },
    async stop(timeoutMs = 10_000) {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const pid = child?.pid;
      if (pid && isAlive(pid)) {
        const exited = new Promise<void>((r) => child!.once('exit', () => r()));
        try {
          process.kill(pid, spec.stopSignal ?? 'SIGTERM');
        } catch {
          /* gone */
        }
        let timeout: NodeJS.Timeout | undefined;
        const timer = new Promise<'timeout'>((r) => (timeout = setTimeout(() => r('timeout'), timeoutMs)));
        const outcome = await Promise.race([exited, timer]);
        clearTimeout(timeout); // a pending timer would keep bbws alive after a clean stop
        if (outcome === 'timeout') {
          log_.warn({ pid }, `${spec.name} did not stop in ${timeoutMs} ms; SIGKILL`);
          killGroup(pid, 'SIGKILL');
          await exited;
        }
        killGroup(pid, 'SIGKILL');
        // Until every process of the group is gone (workers run as tenant users, which a
        // following userdel would refuse to delete while they exist).
        for (let i = 0; i < 200 && groupExists(pid); i++) await new Promise((r) => setTimeout(r, 10));
      }
      state = 'stopped';
      log?.end();
      log = undefined;
    },
  };

  try {
    await startOnce();
  } catch (e) {
    stopping = true;
    log?.end();
    throw e;
  }
  return handle;
}

/** Polls `check` until it resolves, or rejects after `timeoutMs` with the last error. */
export async function waitFor(what: string, check: () => Promise<unknown>, timeoutMs: number, intervalMs = 50, giveUp: (e: unknown) => boolean = () => false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (giveUp(e)) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${errorMessage(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
