/**
 * Drives an emulator that runs in this process (fauxqs) from a test's manual clock: while set,
 * `Date.now()` reads the clock, which is where fauxqs takes visibility deadlines, delays and
 * timestamps from. Timers stay real, so long polls still wait in real time.
 */
export function useClockForDateNow(now: () => number): () => void {
  const real = Date.now;
  Date.now = now;
  return () => {
    Date.now = real;
  };
}
