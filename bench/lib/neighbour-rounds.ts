/**
 * The neighbour benchmark's ratios over alternating rounds: idle₀, busy₁, (settling₁), idle₁, busy₂,
 * …, idle_R. On a shared 2-core VM the p99 of one 10–20 s idle phase moves by up to 1.7× from one
 * phase to the next, so a single busy/idle-before ratio says as much about the baseline's luck as
 * about provisioning. Each busy round is therefore compared with the pooled samples of the idle
 * phases on both sides of it ("around"), and the rounds are summarised by their median; the old
 * single-baseline ratios (busy / the idle phase just before) are computed too, so that figures stay
 * comparable with earlier runs. Pure functions; no I/O.
 */
import { median, percentile } from './stats.js';

/** `poll`: the bench's own API watching with nothing provisioned (a control; counted as neither idle nor busy). */
export type PhaseKind = 'idle' | 'busy' | 'settling' | 'poll';

/** One phase of neighbour requests: its latencies (ms), in the order the phases ran. */
export interface Phase {
  kind: PhaseKind;
  /** 0 for the first idle phase; busy and settling phase k, and the idle phase after them, are round k. */
  round: number;
  ms: readonly number[];
}

export interface RoundRatio {
  round: number;
  busyP99: number;
  /** p99 of the idle phase just before the busy phase (the old, single-baseline figure). */
  idleBeforeP99: number;
  /** p99 of the idle phases before and after the busy phase, pooled. */
  idleAroundP99: number;
  ratioBefore: number;
  ratioAround: number;
}

export interface NeighbourRatios {
  rounds: RoundRatio[];
  /** All busy samples against all idle samples, pooled. */
  pooled: { idleN: number; busyN: number; idleP50: number; idleP99: number; busyP50: number; busyP99: number; ratio: number };
  /** Median and worst of the rounds' ratios against the idle phases around them. */
  medianRatioAround: number;
  maxRatioAround: number;
  /** Median of the rounds' ratios against the idle phase before them (old style). */
  medianRatioBefore: number;
}

/**
 * Ratios of busy p99 to idle p99 per round and pooled. `phases` must start with an idle phase and
 * have an idle phase after every busy one (rounds without one are skipped).
 */
export function neighbourRatios(phases: readonly Phase[]): NeighbourRatios {
  const idleOf = (round: number) => phases.find((p) => p.kind === 'idle' && p.round === round)?.ms;
  const rounds: RoundRatio[] = [];
  for (const busy of phases.filter((p) => p.kind === 'busy')) {
    const before = idleOf(busy.round - 1);
    const after = idleOf(busy.round);
    if (!before || !after) continue;
    const busyP99 = percentile(busy.ms, 99);
    const idleBeforeP99 = percentile(before, 99);
    const idleAroundP99 = percentile([...before, ...after], 99);
    rounds.push({ round: busy.round, busyP99, idleBeforeP99, idleAroundP99, ratioBefore: busyP99 / idleBeforeP99, ratioAround: busyP99 / idleAroundP99 });
  }
  const pool = (k: PhaseKind) => phases.filter((p) => p.kind === k).flatMap((p) => p.ms);
  const idle = pool('idle');
  const busy = pool('busy');
  const around = rounds.map((r) => r.ratioAround);
  return {
    rounds,
    pooled: {
      idleN: idle.length,
      busyN: busy.length,
      idleP50: median(idle),
      idleP99: percentile(idle, 99),
      busyP50: median(busy),
      busyP99: percentile(busy, 99),
      ratio: percentile(busy, 99) / percentile(idle, 99),
    },
    medianRatioAround: median(around),
    maxRatioAround: around.length ? Math.max(...around) : Number.NaN,
    medianRatioBefore: median(rounds.map((r) => r.ratioBefore)),
  };
}
