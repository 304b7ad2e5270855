/**
 * The state store: tenants, instances, operations and the ECS event ledger. Adapters:
 * `adapters/store/sqlite.ts` (embedded default); a DynamoDB adapter uses the keys of DESIGN.md
 * and must pass `test/contract/store.contract.ts`.
 *
 * Writes go through {@link Store.commit}: a list of conditional writes and outgoing messages that
 * succeed or fail together. This is how a record and the message carrying its work are committed
 * atomically (one SQLite transaction here; TransactWriteItems plus an outbox on AWS).
 *
 * What an adapter must guarantee (contract: `test/contract/store.contract.ts`):
 * - `commit` applies all its writes or none, in order; a failed condition throws
 *   {@link StoreConflictError} naming the record, and nothing of that commit is visible, ever.
 * - Conditional puts: `expectedVersion: null` only creates; a number only replaces that version.
 *   The record is stored exactly as given (the caller sets `version`).
 * - A read after a commit resolved sees it (read-your-writes, also from another process on the
 *   same backend: DynamoDB reads must be strongly consistent).
 * - `getTenantWithInstance` is one moment: never the tenant of one commit with the instance of
 *   another.
 * - `nextToken` is opaque and stable: paging through `listTenants` sees every tenant that existed
 *   for the whole walk once, in tenant id order; a token the adapter did not issue is
 *   VALIDATION_FAILED.
 * - The outbox (`notify` writes, `listOutbox`, `deleteOutbox`) keeps commit order.
 * - Records returned may be shared and frozen (the SQLite adapter's read cache): callers must not
 *   mutate them.
 * - Backend failures a client should retry are BbwsError STORE_UNAVAILABLE (or
 *   INSUFFICIENT_STORAGE), never a driver error.
 */
import type { Notification } from '../domain/notification.js';
import type { Operation } from '../domain/operation.js';
import type { OutgoingMessage } from './queue.js';
import type { Instance, Tenant } from '../domain/tenant.js';
import type { Site } from '../domain/site.js';

export type Write =
  /** `expectedVersion: null` means "must not exist yet"; otherwise the stored version must equal it. */
  | { kind: 'putTenant'; tenant: Tenant; expectedVersion: number | null }
  | { kind: 'putInstance'; instance: Instance; expectedVersion: number | null }
  | { kind: 'putOperation'; operation: Operation; expectedVersion: number | null }
  /** Also claims the site's host names for (tenant, site); a name routed elsewhere fails the commit ('hostname'). */
  | { kind: 'putSite'; site: Site; expectedVersion: number | null }
  /**
   * Removes the tenant, its instance, its sites and its host names (its operations stay). With
   * `expectedInstanceVersion`, only if the instance is still at that version (else 'instance').
   */
  | { kind: 'deleteTenant'; tenantId: string; expectedInstanceVersion?: number }
  /** Removes a site record (a tombstone) and its host names, only at that version (else 'site'). */
  | { kind: 'deleteSite'; tenantId: string; siteId: string; expectedVersion: number }
  | { kind: 'enqueue'; message: OutgoingMessage }
  /**
   * An outbox entry: the notification is published (`app/relay-outbox.ts`) after this commit and
   * never without it. Its `notificationId` already in the outbox fails the commit ('notification').
   */
  | { kind: 'notify'; notification: Notification }
  /** Records an ECS event id; the commit fails with a conflict if it was recorded before. */
  | { kind: 'recordEvent'; eventId: string; tenantId: string | null; outcome: string };

/**
 * Thrown by {@link Store.commit} when a condition fails. `which` names the record; `hostname`
 * means an instance's spec routes a host name that another tenant already owns (`id` is the name).
 */
export class StoreConflictError extends Error {
  constructor(readonly which: 'tenant' | 'instance' | 'operation' | 'site' | 'event' | 'hostname' | 'notification', readonly id: string) {
    super(`conditional write failed for ${which} ${id}`);
    this.name = 'StoreConflictError';
  }
}

export interface Page<T> {
  items: T[];
  nextToken: string | null;
}

export interface IdempotencyRecord {
  key: string;
  /** Who used the key (token subject) and what for (method + path): the key is scoped by both. */
  scope: string;
  requestHash: string;
  statusCode: number;
  body: string;
  createdAt: string;
}

export interface Store {
  commit(writes: Write[]): Promise<void>;

  getTenant(tenantId: string): Promise<Tenant | undefined>;
  getInstance(tenantId: string): Promise<Instance | undefined>;
  /** The tenant and its instance as of one moment (one read, never a mix of two commits). */
  getTenantWithInstance(tenantId: string): Promise<{ tenant: Tenant; instance: Instance | undefined } | undefined>;
  /** Ordered by tenant id. `nextToken` is opaque. */
  listTenants(options: { limit: number; nextToken?: string | null }): Promise<Page<Tenant>>;
  /** Host name → tenant id, for every host name an instance's spec routes (uniqueness checks). */
  findTenantByHostname(hostname: string): Promise<string | undefined>;
  listInstancesByState(states: readonly string[]): Promise<Instance[]>;

  getSite(tenantId: string, siteId: string): Promise<Site | undefined>;
  /** A tenant's sites (DELETED ones included), oldest first. */
  listSites(tenantId: string): Promise<Site[]>;
  /** Sites (any tenant) with an `expiresAt` before `iso` that are not DELETING/DELETED: expired previews. */
  listExpiredSites(iso: string): Promise<Site[]>;

  getOperation(operationId: string): Promise<Operation | undefined>;
  /** Newest first. */
  listOperations(tenantId: string, limit: number): Promise<Operation[]>;
  /** PENDING or IN_PROGRESS operations, oldest first. */
  listOpenOperations(tenantId?: string): Promise<Operation[]>;

  hasEvent(eventId: string): Promise<boolean>;

  /** Outbox entries not yet relayed, in commit order (oldest first), at most `limit` (1-1000). */
  listOutbox(limit: number): Promise<Notification[]>;
  /** Removes relayed entries. An id not in the outbox is ignored (two relays may race). */
  deleteOutbox(notificationIds: readonly string[]): Promise<void>;

  getIdempotency(key: string, scope: string): Promise<IdempotencyRecord | undefined>;
  /** First writer wins: returns false if a record for (key, scope) already exists. */
  putIdempotency(record: IdempotencyRecord): Promise<boolean>;
  /** Deletes idempotency records and event ids older than `olderThan` (ISO). */
  prune(olderThan: string): Promise<number>;

  /** Cheap liveness check for /health. */
  ping(): Promise<void>;
  /** Releases the adapter's resources; a connection shared with other adapters stays open. */
  close(): Promise<void>;
}
