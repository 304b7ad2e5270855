/**
 * Where a machine's CPU went during a bench phase, by process owner: samples /proc/<pid>/stat and
 * /proc/<pid>/status every `intervalMs` and adds up each process's user + system time, grouped
 * by a classifier of (pid, uid, comm). A process first seen after the first sample counts from its
 * start (php-fpm's ondemand workers come and go); CPU of one that exits between two samples after
 * its last sample is lost, so figures are lower bounds.
 */
import { readdir, readFile } from 'node:fs/promises';

const TICK_MS = 10; // USER_HZ = 100

interface Proc {
  ticks: number;
  uid: number;
  ppid: number;
  comm: string;
}

async function snapshot(): Promise<Map<number, Proc>> {
  const out = new Map<number, Proc>();
  for (const name of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      const [stat, status] = await Promise.all([readFile(`/proc/${name}/stat`, 'utf8'), readFile(`/proc/${name}/status`, 'utf8')]);
      const close = stat.lastIndexOf(') ');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      const uid = Number(/^Uid:\s+([0-9]+)/m.exec(status)?.[1] ?? -1);
      out.set(Number(name), { ticks: Number(f[11]) + Number(f[12]), uid, ppid: Number(f[1]), comm });
    } catch {
      // gone between readdir and read
    }
  }
  return out;
}

export interface CpuSampler {
  /** Stops sampling; CPU ms per group over the sampled time, and that time in ms. */
  stop(): Promise<{ ms: Record<string, number>; wallMs: number }>;
}

export async function sampleCpuByOwner(classify: (p: { pid: number; uid: number; ppid: number; comm: string }) => string, intervalMs = 1_000): Promise<CpuSampler> {
  const started = performance.now();
  const first = await snapshot();
  const last = new Map(first);
  const ms: Record<string, number> = {};
  const take = async () => {
    for (const [pid, now] of await snapshot()) {
      const before = last.get(pid);
      const delta = before && before.comm === now.comm ? now.ticks - before.ticks : first.has(pid) ? 0 : now.ticks;
      if (delta > 0) {
        const group = classify({ pid, uid: now.uid, ppid: now.ppid, comm: now.comm });
        ms[group] = (ms[group] ?? 0) + delta * TICK_MS;
      }
      last.set(pid, now);
    }
  };
  let busy: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    busy = busy.then(take).catch(() => undefined);
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await busy;
      await take();
      return { ms, wallMs: performance.now() - started };
    },
  };
}
