/**
 * Freezes an object graph of plain data (records: objects, arrays, primitives). A frozen value is
 * shared read-only: the store's commit-validated cache hands out the same one until anything
 * commits, and what is derived from it may be kept with it.
 */
export function deepFreeze<V>(value: V): V {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
