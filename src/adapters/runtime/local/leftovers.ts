/**
 * Servers an earlier run of this data dir left behind. A bbws killed with `kill -9` cannot stop
 * its children; before they were started under a parent-death signal (supervisor.ts), its
 * mariadbd, php-fpm and nginx masters lived on with PPID 1: the next run's mariadbd looped on
 * "Can't lock aria control file", its nginx on "Address already in use", and /health said ok
 * because the old servers answered.
 *
 * So every supervised child gets a PID record (`<runtime>/pids/<pid>.json`: PID, start time, boot
 * id), removed when it exits; at start, the local runtime stops (whole process group, SIGTERM then
 * SIGKILL) every process that is still the one a record names, plus any process whose command
 * line names this runtime dir (masters whose record was never written). Matching the start time,
 * not just the PID, keeps a reused PID (someone else's process) from being killed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIdentityAlive, isRunning, listProcesses, processIdentity, readCmdline } from '../../os/processes.js';
import type { Logger } from '../../../ports/logger.js';

interface PidRecord {
  name: string;
  pid: number;
  identity: string;
}

/** Where supervised children's PID records live. */
export function pidRecordDir(runtimeRoot: string): string {
  return join(runtimeRoot, 'pids');
}

/** Records a started child (called by the supervisor right after spawn). */
export function writePidRecord(dir: string, name: string, pid: number): void {
  const identity = processIdentity(pid);
  if (!identity) return; // exited already
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, `${pid}.json`), JSON.stringify({ name, pid, identity } satisfies PidRecord) + '\n', { mode: 0o600 });
}

export function removePidRecord(dir: string, pid: number): void {
  rmSync(join(dir, `${pid}.json`), { force: true });
}

function readRecords(dir: string): PidRecord[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: PidRecord[] = [];
  for (const n of names) {
    try {
      const r = JSON.parse(readFileSync(join(dir, n), 'utf8')) as PidRecord;
      if (Number.isInteger(r.pid) && typeof r.identity === 'string') out.push(r);
    } catch {
      /* torn write of a killed run: the command-line scan still finds the process */
    }
  }
  return out;
}

/**
 * Process groups (and single processes) left behind by an earlier run of `runtimeRoot`: groups
 * led by a recorded child that is still that child, groups of processes whose command line names
 * `runtimeRoot`. A group whose leader died still holds its workers: the group ID stays in use
 * (Linux never gives that PID to a new process while the group exists), so members are found by it.
 */
export function findLeftovers(runtimeRoot: string): { groups: number[]; records: PidRecord[] } {
  const records = readRecords(pidRecordDir(runtimeRoot));
  const groups = new Set<number>();
  const procs = listProcesses().filter((p) => p.state !== 'Z' && p.state !== 'X');
  const self = process.pid;
  const ancestors = new Set<number>();
  for (let p = self, i = 0; p > 1 && i < 64; i++) {
    ancestors.add(p);
    p = procs.find((x) => x.pid === p)?.ppid ?? 0;
  }
  // Groups of recorded leaders that died: their PID cannot have been reused while the group
  // still has members, so a live process with that PID (another identity) means the group is gone.
  const recordedGroups = new Set<number>();
  const thisBoot = processIdentity()?.split(':')[0];
  for (const r of records) {
    if (isIdentityAlive(r.identity)) {
      groups.add(r.pid);
      continue;
    }
    const [boot, , ticks] = r.identity.split(':');
    if (boot !== thisBoot) continue; // an earlier boot ended every group of it
    // Free, or still the recorded leader as it dies (it was seen before it turned zombie): its
    // group is ours. Held by a process with another start time: the PID was reused, not ours.
    const holder = procs.find((p) => p.pid === r.pid);
    if (!holder || String(holder.startTicks) === ticks) recordedGroups.add(r.pid);
  }
  const prefix = runtimeRoot.endsWith('/') ? runtimeRoot : `${runtimeRoot}/`;
  for (const p of procs) {
    if (ancestors.has(p.pid)) continue;
    if (recordedGroups.has(p.pgrp) && p.pgrp !== self) groups.add(p.pgrp);
    else if (readCmdline(p.pid).some((a) => a.includes(prefix) || a === runtimeRoot)) groups.add(p.pgrp === self || ancestors.has(p.pgrp) ? -p.pid : p.pgrp);
  }
  return { groups: [...groups], records };
}

/**
 * The parent-death signal reaches the masters only: nginx's and php-fpm's workers (same process
 * group) lived on after a `kill -9` of bbws, still holding the edge port, until the next start.
 * So a small watcher runs beside the servers: `setpriv --pdeathsig TERM -- sh`, which sleeps until
 * the kernel signals it that bbws died, then SIGKILLs every recorded group (each record is named
 * `<leader pid>.json`; a record is removed when its child exits, so those present are live groups)
 * and its own. A clean stop kills the watcher first (SIGKILL: its trap does not run).
 */
const REAPER_SCRIPT = `trap 'for f in "$1"/*.json; do p=\${f##*/}; p=\${p%.json}; case $p in *[!0-9]*|"") ;; *) kill -KILL -$p 2>/dev/null;; esac; done; kill -KILL 0' TERM
sleep 2147483647 & wait`;

export function startGroupReaper(runtimeRoot: string): { stop(): void } {
  const setpriv = '/usr/bin/setpriv';
  if (!existsSync(setpriv)) return { stop: () => undefined };
  const dir = pidRecordDir(runtimeRoot);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const c = spawn(setpriv, ['--pdeathsig', 'TERM', '--', '/bin/sh', '-c', REAPER_SCRIPT, 'bbws-group-reaper', dir], { detached: true, stdio: 'ignore' });
  c.unref();
  return {
    stop() {
      try {
        if (c.pid) process.kill(-c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
}

/** True while any process of `group` (negative: the single process -group) is running. */
function groupRunning(group: number): boolean {
  if (group < 0) return isRunning(-group);
  return listProcesses().some((p) => p.pgrp === group && p.state !== 'Z' && p.state !== 'X');
}

function signalGroup(group: number, sig: NodeJS.Signals): void {
  try {
    // A group is signalled as a whole (kill(-pgid)); a negative entry is one process (-pid).
    process.kill(-group, sig);
  } catch {
    /* gone */
  }
}

/**
 * Stops what {@link findLeftovers} finds: SIGTERM (mariadbd shuts down cleanly, nginx and php-fpm
 * masters take their workers), SIGKILL after `graceMs`, and waits until none runs. Then clears
 * the PID records. Returns how many groups were stopped.
 */
export async function stopLeftovers(runtimeRoot: string, logger: Logger, graceMs = 5_000): Promise<number> {
  const { groups } = findLeftovers(runtimeRoot);
  if (groups.length > 0) {
    logger.warn({ action: 'STOP_LEFTOVERS', groups }, `stopping ${groups.length} server process group(s) left behind by an earlier run of this data dir`);
    for (const g of groups) signalGroup(g, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (groups.some(groupRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const g of groups.filter(groupRunning)) signalGroup(g, 'SIGKILL');
    for (let i = 0; i < 200 && groups.some(groupRunning); i++) await new Promise((r) => setTimeout(r, 25));
  }
  rmSync(pidRecordDir(runtimeRoot), { recursive: true, force: true });
  return groups.length;
}
