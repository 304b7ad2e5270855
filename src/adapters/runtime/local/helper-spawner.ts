/**
 * A small long-lived process that starts the helper programs on bbws's behalf.
 *
 * Node's `spawn` is a full `fork()` (libuv 1.46, no CLONE_VM): each helper copies the page tables
 * of the ~150 MB bbws process, and both processes then take copy-on-write faults, all in the kernel
 * at bbws's own priority on any CPU — before the helper's niceness applies. About a dozen helpers
 * run per new tenant. The spawner is a separate Node process with a small heap, started once at
 * nice 19 on the background CPUs (background-cpu.ts): the helpers it forks inherit both, and the
 * fork costs what a ~40 MB process costs, at background priority.
 *
 * Protocol (IPC, JSON): `{ id, command, args, cwd, env, uid, gid, input, timeoutMs }` →
 * `{ id, stdout, stderr, exitCode, signal, error }`. Arguments are passed as an array to `spawn`
 * in the spawner (no shell), exactly as exec.ts does. When the spawner cannot be started or
 * dies, exec.ts spawns directly, as before (a call in flight fails with an ExecError, as a crashed
 * helper would).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface SpawnRequest {
  command: string;
  args: string[];
  cwd?: string;
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  input: string;
  timeoutMs: number;
}

export interface SpawnReply {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started (ENOENT, EACCES…), or the spawner went away. */
  error?: string;
}

/** The spawner's own program (run with `node -e`, so it needs no file in the build output). */
const SPAWNER_CODE = `
const { spawn } = require('node:child_process');
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  let done = false;
  const out = []; const err = [];
  const reply = (r) => { if (done) return; done = true; clearTimeout(timer); process.send({ id: m.id, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ...r }); };
  let child;
  try {
    child = spawn(m.command, m.args, { cwd: m.cwd, env: m.env, stdio: ['pipe', 'pipe', 'pipe'], shell: false, ...(m.uid !== undefined ? { uid: m.uid, gid: m.gid } : {}) });
  } catch (e) {
    return reply({ exitCode: null, signal: null, error: String(e && e.message || e) });
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), m.timeoutMs);
  child.stdout.on('data', (b) => out.push(b));
  child.stderr.on('data', (b) => err.push(b));
  child.on('error', (e) => reply({ exitCode: null, signal: null, error: String(e && e.message || e) }));
  child.on('close', (exitCode, signal) => reply({ exitCode, signal }));
  child.stdin.on('error', () => undefined);
  child.stdin.end(m.input);
});
`;

export interface HelperSpawner {
  /** Runs one helper; resolves with its outcome (never rejects). */
  run(req: SpawnRequest): Promise<SpawnReply>;
  /** The spawner's PID (tests, operators' `ps`). */
  readonly pid: number | undefined;
  /** True until the spawner exits. */
  alive(): boolean;
  stop(): void;
}

/**
 * Starts the spawner: `[command, args]` is how to start it (e.g. under `taskset` and `nice`; the
 * last element of args must be the Node binary's arguments). Resolves once it runs, or with null
 * when it could not be started.
 */
export async function startHelperSpawner(prefix: (command: string, args: string[]) => [string, string[]]): Promise<HelperSpawner | null> {
  const [command, args] = prefix(process.execPath, ['--max-old-space-size=64', '-e', SPAWNER_CODE]);
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' } });
  } catch {
    return null;
  }
  const started = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  if (!started) return null;
  let nextId = 1;
  let running = true;
  const pending = new Map<number, (r: SpawnReply) => void>();
  // The spawner must never keep bbws alive: unref'd whenever nothing is in flight.
  const refresh = () => {
    if (pending.size) {
      child.ref();
      child.channel?.ref();
    } else {
      child.unref();
      child.channel?.unref();
    }
  };
  refresh();
  child.on('message', (m: SpawnReply & { id: number }) => {
    const done = pending.get(m.id);
    pending.delete(m.id);
    refresh();
    done?.(m);
  });
  child.once('exit', (code, signal) => {
    running = false;
    for (const done of pending.values()) done({ stdout: '', stderr: '', exitCode: null, signal: null, error: `helper spawner exited (${signal ?? code})` });
    pending.clear();
  });
  return {
    get pid() {
      return child.pid;
    },
    alive: () => running,
    run(req) {
      if (!running) return Promise.resolve({ stdout: '', stderr: '', exitCode: null, signal: null, error: 'helper spawner not running' });
      return new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        refresh();
        child.send({ id, ...req }, (e) => {
          if (!e || !pending.delete(id)) return;
          refresh();
          resolve({ stdout: '', stderr: '', exitCode: null, signal: null, error: `helper spawner: ${e.message}` });
        });
      });
    },
    stop() {
      running = false;
      child.kill('SIGTERM');
    },
  };
}
