/** CPU time of the bench process and of the children it has reaped, for figures that hold up under load. */
import { readFileSync } from 'node:fs';

/**
 * CPU time (user + system) of this process's reaped children so far, in ms, from /proc/self/stat
 * (cutime, cstime; clock ticks of 10 ms). One run's figure is coarse, the mean over many is not,
 * and unlike wall time it hardly moves when other work competes for the two cores.
 */
export function childCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10; // fields 16 and 17 of proc(5), USER_HZ = 100
}

/** This process's own CPU time plus its reaped children's, in ms. */
export function treeCpuMs(): number {
  const own = process.cpuUsage();
  return (own.user + own.system) / 1000 + childCpuMs();
}
