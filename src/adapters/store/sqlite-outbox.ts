/**
 * The outbox of the SQLite store: notifications committed with the state change that causes them
 * (a `notify` write), kept until `app/relay-outbox.ts` has published them. `seq` keeps commit order.
 */
import type { Notification } from '../../domain/notification.js';
import { StoreConflictError } from '../../ports/store.js';
import type { Migration, SqliteDatabase } from '../sqlite/database.js';

export const OUTBOX_MIGRATIONS: readonly Migration[] = [
  {
    id: '003-outbox',
    sql: `
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        notification_id TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL,
        committed_at TEXT NOT NULL
      );
    `,
  },
];

export function createOutboxStatements(db: SqliteDatabase) {
  const stmt = {
    insert: db.prepare<[string, string, string]>('INSERT INTO outbox (notification_id, body, committed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    list: db.prepare<[number], { body: string }>('SELECT body FROM outbox ORDER BY seq LIMIT ?'),
    remove: db.prepare<[string]>('DELETE FROM outbox WHERE notification_id = ?'),
  };
  const removeAll = db.transaction((ids: readonly string[]) => {
    for (const id of ids) stmt.remove.run(id);
  });
  return {
    /** Runs inside the store's transaction; an id already in the outbox fails the commit. */
    add(notification: Notification, at: string): void {
      if (stmt.insert.run(notification.notificationId, JSON.stringify(notification), at).changes !== 1) throw new StoreConflictError('notification', notification.notificationId);
    },
    list: (limit: number): Notification[] => stmt.list.all(limit).map((r) => JSON.parse(r.body) as Notification),
    remove: (ids: readonly string[]) => removeAll.immediate(ids),
  };
}
