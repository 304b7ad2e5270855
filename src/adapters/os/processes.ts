/**
 * What Linux's /proc says about processes: whether a PID is still the process we think it is
 * (PID + start time + boot id, since PIDs are reused), process groups, command lines, and which
 * process holds a listening socket. Used to find servers an earlier, killed bbws left behind, to
 * check that a server answering on our socket is the one we supervise, to reclaim queue leases of
 * dead processes, and to name who holds a port `bbws up` wants (cli/port-in-use.ts). Everything returns "unknown"/empty rather than throwing off Linux.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie: dead, not yet reaped), X… */
  state: string;
  ppid: number;
  pgrp: number;
  /** Start time in clock ticks since boot: with the PID and the boot id, names one process for ever. */
  startTicks: number;
}

/** Parses /proc/<pid>/stat (the command name, in parentheses, may hold spaces and parentheses). */
export function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime
  return { pid, state: fields[0]!, ppid: Number(fields[1]), pgrp: Number(fields[2]), startTicks: Number(fields[19]) };
}

/** Alive and not a zombie (a killed child of a dead parent stays a zombie until PID 1 reaps it). */
export function isRunning(pid: number): boolean {
  const st = readProcStat(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X';
}

let cachedBootId: string | undefined;
function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = 'unknown';
    }
  }
  return cachedBootId;
}

/** `<boot id>:<pid>:<start ticks>` of a process (default: this one); null when it does not exist. */
export function processIdentity(pid: number = process.pid): string | null {
  const st = readProcStat(pid);
  return st ? `${bootId()}:${pid}:${st.startTicks}` : null;
}

/**
 * False when the process named by `identity` is known to be gone: another boot, no such PID, a
 * zombie, or the PID now belongs to a process started at another time. True otherwise (including
 * an identity we cannot read: never reclaim what we are not sure about).
 */
export function isIdentityAlive(identity: string): boolean {
  const [boot, pidText, ticks] = identity.split(':');
  const pid = Number(pidText);
  if (!boot || !Number.isInteger(pid) || pid <= 0 || ticks === undefined) return true;
  if (bootId() === 'unknown') return true;
  if (boot !== bootId()) return false;
  const st = readProcStat(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X' && String(st.startTicks) === ticks;
}

/** Every process we can see (PIDs from /proc). */
export function listProcesses(): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const st = readProcStat(Number(e));
    if (st) out.push(st);
  }
  return out;
}

/** The arguments of a process ([] when gone or unreadable). */
export function readCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function socketInodesOf(pid: number): Set<string> {
  const out = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

/** Inodes of listening Unix sockets bound to `path` (/proc/net/unix; flag 0x10000 is "accepting"). */
function listeningUnixInodes(path: string): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // Num RefCount Protocol Flags Type St Inode Path
    if (f.length >= 8 && f.slice(7).join(' ') === path && (parseInt(f[3]!, 16) & 0x10000) !== 0) out.push(f[6]!);
  }
  return out;
}

/** Inodes of sockets listening on TCP `port` (any address, IPv4 and IPv6; state 0A is LISTEN). */
function listeningTcpInodes(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue;
      if (parseInt(f[1]!.split(':').pop()!, 16) === port) out.push(f[9]!);
    }
  }
  return out;
}

/**
 * Whether the socket listening on `where` is held by process `pid` — so that a server answering
 * there is the one we started, not a leftover of an earlier run. Null when nothing listens there.
 */
export function listenerIsOwnedBy(pid: number, where: { unixPath: string } | { tcpPort: number }): boolean | null {
  const inodes = 'unixPath' in where ? listeningUnixInodes(where.unixPath) : listeningTcpInodes(where.tcpPort);
  if (inodes.length === 0) return null;
  const mine = socketInodesOf(pid);
  return inodes.some((i) => mine.has(i));
}

/**
 * The process holding the socket listening on TCP `port`, when /proc tells (best effort: without
 * the right to read other processes' fds, null). For messages such as "port 8080 is in use by …".
 */
export function findTcpListener(port: number): { pid: number; command: string } | null {
  const inodes = listeningTcpInodes(port);
  if (inodes.length === 0) return null;
  for (const { pid } of listProcesses()) {
    const mine = socketInodesOf(pid);
    if (!inodes.some((i) => mine.has(i))) continue;
    let command = '?';
    try {
      command = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      /* gone meanwhile */
    }
    return { pid, command };
  }
  return null;
}
