/**
 * Group commit: writes requested during one turn of the event loop share one transaction, and so
 * one fsync. With `synchronous=FULL` a commit costs a disk flush (≈0.35 ms here), which would cap
 * the queue at a few thousand writes per second; ten deletes issued together (a batch consumer
 * acknowledging what it received) cost one flush instead of ten. Durability is unchanged: no
 * caller's promise settles before the transaction holding its write has committed.
 */
import type { SqliteDatabase } from './database.js';

interface PendingWrite {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

export interface GroupCommitter {
  /** Runs `write` in the next group transaction; settles once that transaction has committed. */
  submit<T>(write: () => T): Promise<T>;
  /** Commits whatever is pending now (used on close). */
  flush(): void;
}

/**
 * Creates a group committer on `db`. Each write runs in its own savepoint inside the group
 * transaction, so a write that throws is rolled back and rejected alone while the others commit.
 * The group transaction is `BEGIN IMMEDIATE`, taking the write lock up front, because other
 * processes may write the same file.
 */
export function createGroupCommitter(db: SqliteDatabase): GroupCommitter {
  let pending: PendingWrite[] = [];
  let scheduled = false;
  // Nested better-sqlite3 transactions are savepoints.
  const inSavepoint = db.transaction((write: () => unknown) => write());
  const runGroup = db.transaction((writes: PendingWrite[]) =>
    writes.map((w) => {
      try {
        return { ok: true as const, value: inSavepoint(w.run) };
      } catch (error) {
        return { ok: false as const, error };
      }
    }),
  );

  function flush(): void {
    scheduled = false;
    if (pending.length === 0) return;
    const writes = pending;
    pending = [];
    let outcomes: ReturnType<typeof runGroup>;
    try {
      outcomes = runGroup.immediate(writes);
    } catch (error) {
      // BEGIN or COMMIT failed (busy, I/O error): nothing of this group was written.
      for (const w of writes) w.reject(error);
      return;
    }
    writes.forEach((w, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) w.resolve(outcome.value);
      else w.reject(outcome.error);
    });
  }

  return {
    submit<T>(write: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        pending.push({ run: write, resolve: resolve as (value: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          // setImmediate, not a microtask: writes issued from several promise chains resolved in
          // the same turn (concurrent consumers) still land in one group.
          setImmediate(flush);
        }
      });
    },
    flush,
  };
}
