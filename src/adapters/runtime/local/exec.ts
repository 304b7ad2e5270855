/**
 * Running external programs (mariadb, php-fpm -t, nginx -t, php -l, useradd, apt-get) without a
 * shell: every call is `spawn(file, args[])`, so no argument is ever re-parsed by `sh`. Failures
 * are {@link ExecError}s that carry what an operator needs to see (command, output, exit code).
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';

/**
 * Niceness of the helper programs (useradd, chown, php -l, the mariadb client…): provisioning
 * work yields the CPU to the servers that answer visitors. Set by the local runtime (19); the
 * servers themselves (mariadbd, php-fpm, nginx) are started by supervisor.ts, not niced.
 */
let helperNiceness = 0;
export function setHelperNiceness(n: number): void {
  helperNiceness = Math.max(0, Math.min(19, Math.trunc(n)));
}

/** A program that ran and failed (non-zero exit, signal, timeout or could not start). */
export class ExecError extends Error {
  readonly command: string;
  readonly args: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  /** null when the process was killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;

  constructor(init: { command: string; args: readonly string[]; stdout: string; stderr: string; exitCode: number | null; signal: NodeJS.Signals | null; cause?: unknown }) {
    const why = init.exitCode !== null ? `exit code ${init.exitCode}` : init.signal ? `signal ${init.signal}` : 'could not start';
    const detail = (init.stderr || init.stdout).trim().split('\n').slice(-5).join(' | ');
    super(`${init.command} failed (${why})${detail ? `: ${detail}` : ''}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ExecError';
    this.command = init.command;
    this.args = init.args;
    this.stdout = init.stdout;
    this.stderr = init.stderr;
    this.exitCode = init.exitCode;
    this.signal = init.signal;
  }
}

export interface RunOptions {
  /** Written to stdin, then stdin is closed (SQL goes here, never into argv). */
  input?: string;
  /** Added to a minimal environment (PATH, LANG=C) — the parent's secrets are not inherited. */
  env?: Record<string, string>;
  cwd?: string;
  /** Killed with SIGKILL after this many ms (default 60 s). */
  timeoutMs?: number;
  /** Run as this user and group (a tenant's), never as root. */
  uid?: number;
  gid?: number;
  /** What an ExecError shows instead of the real arguments (e.g. long PHP code). */
  shownArgs?: readonly string[];
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

const BASE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

/** Runs `command args…` and resolves with its output; rejects with {@link ExecError} otherwise. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: { ...BASE_ENV, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
    });
    if (helperNiceness && child.pid) {
      try {
        setPriority(child.pid, helperNiceness);
      } catch {
        /* exited already */
      }
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    const fail = (exitCode: number | null, signal: NodeJS.Signals | null, cause?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new ExecError({ command, args: [...(options.shownArgs ?? args)], stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exitCode, signal, cause }));
    };
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => fail(null, null, e));
    child.on('close', (code, signal) => {
      if (settled) return;
      if (code === 0) {
        settled = true;
        clearTimeout(timer);
        resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
      } else fail(code, signal);
    });
    // EPIPE when the program exits before reading stdin is reported through 'close'.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** True when `command` can be found and started (used by the prerequisite check). */
export async function canRun(command: string, args: readonly string[] = ['--version']): Promise<boolean> {
  try {
    await run(command, args, { timeoutMs: 10_000 });
    return true;
  } catch (e) {
    return e instanceof ExecError && e.exitCode !== null;
  }
}
