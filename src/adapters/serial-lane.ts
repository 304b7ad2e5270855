/**
 * A serial lane: work given to it runs one piece at a time, in the order given, whether the piece
 * before it succeeded or failed (a failure is the caller's, never the next piece's). The one way
 * adapters serialise in-process work: php-fpm's shard map and its retired masters, useradd/userdel,
 * a tenant's sites map.
 */
export interface SerialLane {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export function serialLane(): SerialLane {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(fn) {
      const next = tail.then(fn, fn);
      tail = next.catch(() => undefined);
      return next;
    },
  };
}

/** One lane per key (a tenant), created on first use and dropped when its work is done. */
export function keyedSerialLanes() {
  const lanes = new Map<string, { lane: SerialLane; pending: number }>();
  return {
    run<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const entry = lanes.get(key) ?? { lane: serialLane(), pending: 0 };
      lanes.set(key, entry);
      entry.pending++;
      return entry.lane.run(fn).finally(() => {
        if (--entry.pending === 0) lanes.delete(key);
      });
    },
  };
}
