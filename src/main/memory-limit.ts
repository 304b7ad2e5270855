/**
 * The memory this process may use, for the REPORT line's `@memorySize` (seed 000's alarm
 * `@maxMemoryUsed / @memorySize > 0.9`): the host's RAM would hide every real limit.
 *
 * In order: the cgroup's limit (v2 `memory.max`, v1 `memory.limit_in_bytes`, the tightest of
 * the process's cgroup and its parents), else `BBWS_MEMORY_LIMIT_MB`, else V8's heap limit (the
 * point at which Node itself stops with "heap out of memory"). Node 20's
 * `process.constrainedMemory()` reads only the process's own cgroup, not its parents, and
 * answers 2^64 for "no limit".
 */
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';

const MIB = 2 ** 20;
/** cgroup v1 writes "no limit" as a page-rounded 2^63; anything this large is no limit. */
const UNLIMITED = 2 ** 60;

export interface MemoryLimitSources {
  /** Where the cgroup file systems are mounted. Default /sys/fs/cgroup. */
  cgroupRoot?: string;
  /** The process's cgroup membership. Default /proc/self/cgroup. */
  procCgroup?: string;
  /** BBWS_MEMORY_LIMIT_MB, when set. */
  configuredMb?: string;
}

function readLimit(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (!/^\d+$/.test(text)) return undefined; // "max" (v2): no limit here
  const bytes = Number(text);
  return bytes > 0 && bytes < UNLIMITED ? bytes : undefined;
}

/** The tightest limit on `dir` and each of its parents up to `top`. */
function tightestLimit(top: string, cgroupPath: string, file: string): number | undefined {
  const parts = cgroupPath.split('/').filter(Boolean);
  let best: number | undefined;
  for (let n = parts.length; n >= 0; n--) {
    const limit = readLimit([top, ...parts.slice(0, n), file].join('/'));
    if (limit !== undefined && (best === undefined || limit < best)) best = limit;
  }
  return best;
}

/** The cgroup memory limit in bytes, or undefined when there is none (or no cgroup to read). */
export function cgroupMemoryLimit(sources: MemoryLimitSources = {}): number | undefined {
  const root = sources.cgroupRoot ?? '/sys/fs/cgroup';
  let membership: string;
  try {
    membership = readFileSync(sources.procCgroup ?? '/proc/self/cgroup', 'utf8');
  } catch {
    return undefined;
  }
  const limits: number[] = [];
  for (const line of membership.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    if (controllers === '') {
      const v2 = tightestLimit(root, path, 'memory.max') ?? tightestLimit(`${root}/unified`, path, 'memory.max');
      if (v2 !== undefined) limits.push(v2);
    } else if (controllers.split(',').includes('memory')) {
      const v1 = tightestLimit(`${root}/memory`, path, 'memory.limit_in_bytes');
      if (v1 !== undefined) limits.push(v1);
    }
  }
  return limits.length ? Math.min(...limits) : undefined;
}

/** `@memorySize` in MiB. Throws on a BBWS_MEMORY_LIMIT_MB that is not a positive integer. */
export function processMemoryLimitMb(sources: MemoryLimitSources = { configuredMb: process.env.BBWS_MEMORY_LIMIT_MB }): number {
  const cgroup = cgroupMemoryLimit(sources);
  if (cgroup !== undefined) return Math.round(cgroup / MIB);
  if (sources.configuredMb !== undefined && sources.configuredMb !== '') {
    if (!/^[1-9]\d{0,7}$/.test(sources.configuredMb)) throw new Error(`BBWS_MEMORY_LIMIT_MB must be a whole number of MiB, got ${JSON.stringify(sources.configuredMb)}.`);
    return Number(sources.configuredMb);
  }
  return Math.round(getHeapStatistics().heap_size_limit / MIB);
}
