/**
 * The outbox relay: publishes the notifications that use cases committed with their state change
 * (`notify` writes of `Store.commit`), then removes them from the outbox. A crash between
 * publishing and removing publishes an entry again; the Notifier port is idempotent by
 * `notificationId`, so its subscribers still get it once.
 */
import type { Logger } from '../ports/logger.js';
import type { Notifier } from '../ports/notifier.js';
import type { Store } from '../ports/store.js';

export interface OutboxRelayDeps {
  store: Store;
  notifier: Notifier;
  logger: Logger;
}

const BATCH = 100;

/**
 * One pass: publishes every entry in the outbox, oldest first, and returns how many. An entry
 * whose publish fails stays (with those after it) for the next pass.
 */
export async function relayOutbox(deps: OutboxRelayDeps): Promise<number> {
  let relayed = 0;
  for (;;) {
    const entries = await deps.store.listOutbox(BATCH);
    if (entries.length === 0) return relayed;
    const done: string[] = [];
    try {
      for (const notification of entries) {
        await deps.notifier.publish(notification);
        done.push(notification.notificationId);
      }
    } finally {
      await deps.store.deleteOutbox(done);
    }
    relayed += done.length;
    if (entries.length < BATCH) return relayed;
  }
}
