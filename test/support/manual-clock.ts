/**
 * A clock tests move by hand, so visibility timeouts, delays and retention can be crossed without
 * sleeping. Adapters take it as their `now` option.
 */
export interface ManualClock {
  /** Epoch milliseconds, as `Date.now()`. */
  now: () => number;
  advance(ms: number): void;
  advanceSeconds(seconds: number): void;
}

/** A clock standing at `startMs` (a fixed date, so failures are reproducible) until advanced. */
export function createManualClock(startMs = Date.parse('2030-01-01T00:00:00.000Z')): ManualClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms: number) {
      current += ms;
    },
    advanceSeconds(seconds: number) {
      current += seconds * 1000;
    },
  };
}
