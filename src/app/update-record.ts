/**
 * Read-modify-write of a versioned record (an instance, a site) with optimistic locking. Events,
 * the saga and the site processor all change these records; a conflict means someone else wrote
 * first, so read again and re-decide.
 */
import type { Instance } from '../domain/tenant.js';
import { StoreConflictError, type Write } from '../ports/store.js';
import { type AppDeps, isoNow } from './deps.js';

const MAX_ATTEMPTS = 8;

/**
 * What a change decides: the fields to change, and other writes for the same commit (given the
 * record as it will be stored, when they depend on it, e.g. a notification that shows it).
 */
export type Change<T> = (current: T) => { patch: Partial<T>; writes?: Write[] | ((next: T) => Write[]) } | undefined;

/**
 * Applies `change` to the record `load` returns (undefined: leave it as it is) and commits it
 * with `put`, retrying on a conflict of the record itself (`which`).
 */
export async function updateVersioned<T extends { version: number; updatedAt: string }>(
  deps: AppDeps,
  which: StoreConflictError['which'],
  load: () => Promise<T | undefined>,
  put: (next: T, expectedVersion: number) => Write,
  change: Change<T>,
): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await load();
    if (!current) return undefined;
    const decided = change(current);
    if (!decided) return current;
    const next: T = { ...current, ...decided.patch, updatedAt: isoNow(deps), version: current.version + 1 };
    try {
      const writes = typeof decided.writes === 'function' ? decided.writes(next) : (decided.writes ?? []);
      await deps.store.commit([put(next, current.version), ...writes]);
      return next;
    } catch (err) {
      if (!(err instanceof StoreConflictError) || err.which !== which || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

/** Applies `change` to the current instance of `tenantId`. */
export function updateInstance(deps: AppDeps, tenantId: string, change: Change<Instance>): Promise<Instance | undefined> {
  return updateVersioned(deps, 'instance', () => deps.store.getInstance(tenantId), (instance, expectedVersion) => ({ kind: 'putInstance', instance, expectedVersion }), change);
}
