/**
 * `bbws perf-test` (seed 002 "Performance Testing"): against this platform's own addresses only
 * (the API and edge of the data dir's platform.json, on loopback), with the seed's thresholds
 * (p95 < 500 ms, error rate < 1 %).
 *
 * - basic: each read endpoint, and one tenant's homepage through the edge, in turn;
 * - load: every target at once, `users` connections shared among them, for `duration`;
 * - stress: doubles the users from 5 until a threshold breaks (or `users` is reached): the
 *   breaking point;
 * - spike: `users` for a third of the time, then 10× for a third, then `users` again: how long
 *   p95 takes to come back under the threshold after the burst (the recovery time).
 */
import type { LoadResult, LoadTarget } from './load-run.js';
import { runLoad } from './load-run.js';

export const PERF_TYPES = ['basic', 'load', 'stress', 'spike'] as const;
export type PerfType = (typeof PERF_TYPES)[number];
export const THRESHOLDS = { p95Ms: 500, errorRate: 0.01 } as const;

export interface PerfOptions {
  type: PerfType;
  users: number;
  durationS: number;
  targets: LoadTarget[];
  progress(msg: string): void;
  signal?: AbortSignal;
}

export interface PerfReport {
  type: PerfType;
  startedAt: string;
  thresholds: typeof THRESHOLDS;
  runs: (LoadResult & { pass: boolean; phase?: string })[];
  /** stress: users at which a threshold first broke (null: it held up to the most users tried). */
  breakingPointUsers?: number | null;
  /** spike: seconds after the burst until p95 was under the threshold again (null: not within the run). */
  recoverySeconds?: number | null;
  pass: boolean;
}

const passes = (r: LoadResult) => r.p95Ms < THRESHOLDS.p95Ms && r.errorRate < THRESHOLDS.errorRate;

export async function runPerfTest(o: PerfOptions): Promise<PerfReport> {
  const startedAt = new Date().toISOString();
  const runs: PerfReport['runs'] = [];
  const record = (r: LoadResult, phase?: string) => {
    const row = { ...r, pass: passes(r), ...(phase ? { phase } : {}) };
    runs.push(row);
    o.progress(`  ${r.target}${phase ? ` (${phase})` : ''}: ${r.connections} users, ${Math.round(r.reqPerSec)} req/s, p95 ${r.p95Ms} ms, errors ${(100 * r.errorRate).toFixed(2)} % — ${row.pass ? 'pass' : 'FAIL'}`);
    return row;
  };
  const share = (users: number) => Math.max(1, Math.floor(users / o.targets.length));
  const all = async (users: number, seconds: number, phase?: string) => {
    const results = await Promise.all(o.targets.map((t) => runLoad(t, share(users), seconds, o.signal)));
    return results.map((r) => record(r, phase));
  };

  if (o.type === 'basic') {
    for (const t of o.targets) {
      o.progress(`basic: ${t.name} (${o.users} users, ${o.durationS} s)…`);
      record(await runLoad(t, o.users, o.durationS, o.signal));
    }
    return { type: o.type, startedAt, thresholds: THRESHOLDS, runs, pass: runs.every((r) => r.pass) };
  }
  if (o.type === 'load') {
    o.progress(`load: ${o.users} users on ${o.targets.length} targets for ${o.durationS} s…`);
    await all(o.users, o.durationS);
    return { type: o.type, startedAt, thresholds: THRESHOLDS, runs, pass: runs.every((r) => r.pass) };
  }
  if (o.type === 'stress') {
    let breakingPointUsers: number | null = null;
    for (let users = Math.min(5, o.users); ; users = Math.min(o.users, users * 2)) {
      o.progress(`stress: ${users} users for ${o.durationS} s…`);
      const step = await all(users, o.durationS, `${users} users`);
      if (step.some((r) => !r.pass)) {
        breakingPointUsers = users;
        break;
      }
      if (users >= o.users) break;
    }
    // Finding the breaking point is the point of a stress test: it passes when it found one or held.
    return { type: o.type, startedAt, thresholds: THRESHOLDS, runs, breakingPointUsers, pass: breakingPointUsers === null };
  }
  const third = Math.max(2, Math.round(o.durationS / 3));
  o.progress(`spike: ${o.users} users, then ${o.users * 10} for ${third} s, then ${o.users} again…`);
  await all(o.users, third, 'before');
  await all(o.users * 10, third, 'spike');
  const after = await all(o.users, third, 'after');
  const perSecond = after.reduce<number[]>((worst, r) => r.perSecondP95Ms.map((v, i) => Math.max(v, worst[i] ?? 0)), []);
  const firstGood = perSecond.findIndex((v) => v < THRESHOLDS.p95Ms);
  const recoverySeconds = firstGood === -1 ? null : firstGood;
  return { type: o.type, startedAt, thresholds: THRESHOLDS, runs, recoverySeconds, pass: recoverySeconds !== null && after.every((r) => r.pass) };
}
