import { describe, expect, it } from 'vitest';
import { neighbourRatios, type Phase } from '../../bench/lib/neighbour-rounds.js';

/** n samples: all `base` except the last `slow` ones, which are `slowMs`. */
const xs = (n: number, base: number, slow = 0, slowMs = base) => Array.from({ length: n }, (_, i) => (i >= n - slow ? slowMs : base));

describe('neighbourRatios (alternating idle/busy rounds)', () => {
  it('compares each busy round with the idle phases on both sides, pooled, and with the one before', () => {
    const phases: Phase[] = [
      { kind: 'idle', round: 0, ms: xs(100, 10, 2, 20) }, // p99 20
      { kind: 'poll', round: 0, ms: xs(50, 900) }, // a control phase: neither idle nor busy
      { kind: 'busy', round: 1, ms: xs(100, 12, 2, 24) }, // p99 24
      { kind: 'settling', round: 1, ms: xs(10, 500) }, // never counted as busy or idle
      { kind: 'idle', round: 1, ms: xs(100, 10) }, // p99 10
      { kind: 'busy', round: 2, ms: xs(100, 12, 2, 30) }, // p99 30
      { kind: 'idle', round: 2, ms: xs(100, 10, 2, 15) }, // p99 15
    ];
    const r = neighbourRatios(phases);
    expect(r.rounds.map((x) => x.round)).toEqual([1, 2]);
    expect(r.rounds[0]).toMatchObject({ busyP99: 24, idleBeforeP99: 20, ratioBefore: 1.2 });
    // idle0 + idle1 pooled: 200 samples, 2 of them at 20 → p99 (rank 198) is 10.
    expect(r.rounds[0]!.idleAroundP99).toBe(10);
    expect(r.rounds[0]!.ratioAround).toBe(2.4);
    expect(r.rounds[1]).toMatchObject({ busyP99: 30, idleBeforeP99: 10, idleAroundP99: 10, ratioBefore: 3, ratioAround: 3 });
    expect(r.medianRatioAround).toBeCloseTo(2.7);
    expect(r.maxRatioAround).toBe(3);
    expect(r.medianRatioBefore).toBeCloseTo(2.1);
    expect(r.pooled).toMatchObject({ idleN: 300, busyN: 200, busyP99: 24, idleP99: 15 });
    expect(r.pooled.ratio).toBeCloseTo(1.6);
  });

  it('skips a busy round without an idle phase after it', () => {
    const r = neighbourRatios([
      { kind: 'idle', round: 0, ms: xs(10, 5) },
      { kind: 'busy', round: 1, ms: xs(10, 6) },
    ]);
    expect(r.rounds).toEqual([]);
    expect(Number.isNaN(r.medianRatioAround)).toBe(true);
    expect(r.pooled.ratio).toBeCloseTo(1.2);
  });
});
