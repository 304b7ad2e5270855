/**
 * Read-modify-write of an instance with optimistic locking. Events and the saga both change
 * instances; a conflict means someone else wrote first, so read again and re-decide.
 */
import type { Instance } from '../domain/tenant.js';
import { StoreConflictError, type Write } from '../ports/store.js';
import { type AppDeps, isoNow } from './deps.js';

const MAX_ATTEMPTS = 8;

/**
 * Applies `change` to the current instance. `change` returns the fields to change (or undefined
 * to leave the instance as it is) and may add writes to the same commit.
 */
export async function updateInstance(
  deps: AppDeps,
  tenantId: string,
  change: (current: Instance) => { patch: Partial<Instance>; writes?: Write[] } | undefined,
): Promise<Instance | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await deps.store.getInstance(tenantId);
    if (!current) return undefined;
    const decided = change(current);
    if (!decided) return current;
    const next: Instance = { ...current, ...decided.patch, updatedAt: isoNow(deps), version: current.version + 1 };
    try {
      await deps.store.commit([{ kind: 'putInstance', instance: next, expectedVersion: current.version }, ...(decided.writes ?? [])]);
      return next;
    } catch (err) {
      if (!(err instanceof StoreConflictError) || err.which !== 'instance' || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}
