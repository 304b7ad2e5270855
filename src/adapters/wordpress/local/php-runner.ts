/**
 * Runs php-cli as a tenant's Unix user: `spawn('php', [...])` with `uid`/`gid` (libuv also
 * drops root's supplementary groups), never a shell. Code goes in `-r` (it is ours, not the
 * caller's data); data goes to stdin as JSON, so nothing a user typed is ever parsed as PHP.
 * Warnings go to stderr (`display_errors=stderr`), keeping stdout for the script's answer.
 */
import { run } from '../../runtime/local/exec.js';

export interface PhpRunOptions {
  /** PHP code without the `<?php` tag. */
  code: string;
  stdin: string;
  /** null: the current user (not root: no isolation exists anyway). */
  owner: { uid: number; gid: number } | null;
  cwd: string;
  tmpDir: string;
  timeoutMs: number;
  memoryLimitMb?: number;
  phpBinary?: string;
}

export function runPhp(o: PhpRunOptions): Promise<string> {
  const command = o.phpBinary ?? 'php';
  const args = ['-d', 'display_errors=stderr', '-d', 'log_errors=0', '-d', `memory_limit=${o.memoryLimitMb ?? 512}M`, '-d', 'error_reporting=E_ALL & ~E_DEPRECATED & ~E_STRICT', '-r', o.code];
  return runAs(command, args, { owner: o.owner, cwd: o.cwd, tmpDir: o.tmpDir, stdin: o.stdin, timeoutMs: o.timeoutMs, shownArgs: ['-r', '<code>'] });
}

export interface RunAsOptions {
  owner: { uid: number; gid: number } | null;
  cwd: string;
  tmpDir: string;
  stdin?: string;
  timeoutMs?: number;
  /** What an ExecError shows instead of the real arguments (code is long). */
  shownArgs?: string[];
}

/**
 * Runs a program as the tenant. File operations inside the tenant's own directories (which the
 * tenant can rearrange, e.g. swap a directory for a symlink to /etc) are done this way, so they
 * can never reach further than the tenant itself could: root never follows a tenant's symlink.
 */
export async function runAs(command: string, args: string[], o: RunAsOptions): Promise<string> {
  const { stdout } = await run(command, args, {
    cwd: o.cwd,
    // A minimal environment: the platform's own (secrets, tokens) is not inherited.
    env: { LANG: 'C.UTF-8', TMPDIR: o.tmpDir, HOME: o.tmpDir },
    input: o.stdin ?? '',
    timeoutMs: o.timeoutMs ?? 120_000,
    ...(o.owner ? { uid: o.owner.uid, gid: o.owner.gid } : {}),
    shownArgs: o.shownArgs,
  });
  return stdout;
}

/**
 * {@link runAs} bound to one tenant: its Unix user (the current one when not root), its wp-content
 * as the working directory and its tmp. What plugin installs, clone, promote and restore use for
 * every change inside wp-content.
 */
export function tenantRunner(owner: { uid: number; gid: number } | null, paths: { content: string; tmp: string }) {
  return async (command: string, args: string[], options?: { timeoutMs?: number }): Promise<void> => {
    await runAs(command, args, { owner: owner ? { uid: owner.uid, gid: owner.gid } : null, cwd: paths.content, tmpDir: paths.tmp, timeoutMs: options?.timeoutMs });
  };
}
