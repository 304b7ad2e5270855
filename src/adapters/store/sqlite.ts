/**
 * The embedded state store (DESIGN.md "State") on the SQLite file it shares with the queue, so
 * `commit` can write records and enqueue their messages in one transaction. Every statement is
 * prepared once, at creation; a read is one indexed lookup.
 */
import { BbwsError, isDiskFull } from '../../domain/errors.js';
import type { Operation } from '../../domain/operation.js';
import type { QueueDefinition } from '../../domain/queues.js';
import type { Instance, Tenant } from '../../domain/tenant.js';
import { StoreConflictError, type IdempotencyRecord, type Page, type Store, type Write } from '../../ports/store.js';
import { ensureQueueSchema, indexQueueDefinitions, insertMessagesSync } from '../queue/sqlite-messages.js';
import { createOutboxStatements, OUTBOX_MIGRATIONS } from './sqlite-outbox.js';
import { createSiteStatements, SITE_MIGRATIONS } from './sqlite-sites.js';
import { createCommitCache } from '../sqlite/commit-cache.js';
import { applyMigrations, isSqliteUnavailableError, type SqliteDatabase } from '../sqlite/database.js';
import {
  STORE_MIGRATIONS,
  idempotencyToRow,
  instanceToRow,
  operationToRow,
  rowToIdempotency,
  rowToInstance,
  rowToOperation,
  rowToTenant,
  tenantToRow,
  type IdempotencyRow,
  type InstanceRow,
  type OperationRow,
  type TenantRow,
} from './sqlite-schema.js';

export interface SqliteStoreOptions {
  /** The shared database (see `openSqliteDatabase`). The store does not close it. */
  db: SqliteDatabase;
  /** The queues `enqueue` writes may target (the same list the queue adapter is given). */
  queueDefinitions: readonly QueueDefinition[];
  /** Clock in epoch ms, for event-ledger times and message send times. */
  now?: () => number;
  /**
   * Serve `getTenantWithInstance` from a cache validated by the WAL-index header (commit-cache.ts;
   * default off, BBWS_READ_CACHE): the records it returns are then shared and frozen.
   */
  readCache?: boolean;
}

/** Prefix of the `id` of the StoreConflictError thrown when a host name belongs to another tenant. */
const encodeToken = (tenantId: string) => Buffer.from(tenantId, 'utf8').toString('base64url');

function decodeToken(token: string): string {
  const id = Buffer.from(token, 'base64url').toString('utf8');
  // Buffer decoding never fails; re-encoding catches tokens we did not issue.
  if (id.length === 0 || encodeToken(id) !== token) {
    throw new BbwsError('VALIDATION_FAILED', 'nextToken is not a token this API returned.', { field: 'nextToken' });
  }
  return id;
}

/** A tenant's columns prefixed `t_`, beside its instance's (all NULL when it has none). */
type TenantInstanceRow = { [K in keyof TenantRow as `t_${K}`]: TenantRow[K] } & { [K in keyof InstanceRow]: InstanceRow[K] | null };

/** Host names are case-insensitive; the table holds them lowercased so `Example.com` collides too. */
const normalizeHostname = (hostname: string) => hostname.trim().toLowerCase();

/**
 * Creates the SQLite store. Applies the store and queue migrations to `db` if needed.
 *
 * `commit` semantics: all writes in one `BEGIN IMMEDIATE` transaction, in order. A put with
 * `expectedVersion: null` inserts and fails if the record exists; otherwise it updates only if the
 * stored `version` equals `expectedVersion`, and stores the record as given (the caller sets
 * `version` to expected + 1). A failed condition throws {@link StoreConflictError} and nothing of
 * the commit is kept. A `putInstance` routing a host name that another tenant's instance routes
 * throws `StoreConflictError('hostname', '<name>')`;
 * map it to HOSTNAME_TAKEN rather than VERSION_CONFLICT. `deleteTenant` removes the tenant, its
 * instance, its sites and its host names, and keeps its operations (their history outlives the
 * tenant); `deleteSite` one site record and its host names.
 * Database failures such as a lock held past the busy timeout surface as
 * `BbwsError('STORE_UNAVAILABLE')`.
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const { db } = options;
  const now = options.now ?? Date.now;
  const queueDefinitionsByName = indexQueueDefinitions(options.queueDefinitions);
  applyMigrations(db, 'store', [...STORE_MIGRATIONS, ...SITE_MIGRATIONS, ...OUTBOX_MIGRATIONS]);
  const sites = createSiteStatements(db, normalizeHostname);
  const outbox = createOutboxStatements(db);
  ensureQueueSchema(db);

  const tenantColumns = 'tenant_id, domain_name, environment, created_at, updated_at, version';
  const instanceColumns =
    'tenant_id, provisioning_state, workflow_status, desired_count, running_count, last_error, spec, previous_spec, last_event_time, last_event_id, updated_at, version';
  const operationColumns =
    'operation_id, type, status, tenant_id, input, steps, error, correlation_id, created_at, updated_at, deadline_at, version';
  const values = (columns: string) => columns.split(', ').map((c) => `@${c}`).join(', ');
  const assignments = (columns: string, key: string) =>
    columns.split(', ').filter((c) => c !== key).map((c) => `${c} = @${c}`).join(', ');

  const stmt = {
    insertTenant: db.prepare<TenantRow>(`INSERT INTO tenants (${tenantColumns}) VALUES (${values(tenantColumns)}) ON CONFLICT DO NOTHING`),
    updateTenant: db.prepare<TenantRow & { expected: number }>(
      `UPDATE tenants SET ${assignments(tenantColumns, 'tenant_id')} WHERE tenant_id = @tenant_id AND version = @expected`,
    ),
    getTenant: db.prepare<[string], TenantRow>(`SELECT ${tenantColumns} FROM tenants WHERE tenant_id = ?`),
    listTenants: db.prepare<[string, number], TenantRow>(
      `SELECT ${tenantColumns} FROM tenants WHERE tenant_id > ? ORDER BY tenant_id LIMIT ?`,
    ),
    deleteTenant: db.prepare('DELETE FROM tenants WHERE tenant_id = ?'),

    insertInstance: db.prepare<InstanceRow>(
      `INSERT INTO instances (${instanceColumns}) VALUES (${values(instanceColumns)}) ON CONFLICT DO NOTHING`,
    ),
    updateInstance: db.prepare<InstanceRow & { expected: number }>(
      `UPDATE instances SET ${assignments(instanceColumns, 'tenant_id')} WHERE tenant_id = @tenant_id AND version = @expected`,
    ),
    getInstance: db.prepare<[string], InstanceRow>(`SELECT ${instanceColumns} FROM instances WHERE tenant_id = ?`),
    // Tenant columns under a `t_` prefix; the instance's are NULL when it has none (LEFT JOIN).
    getTenantWithInstance: db.prepare<[string], TenantInstanceRow>(
      `SELECT ${tenantColumns.split(', ').map((c) => `t.${c} AS t_${c}`).join(', ')}, ${instanceColumns.split(', ').map((c) => `i.${c}`).join(', ')}
       FROM tenants t LEFT JOIN instances i ON i.tenant_id = t.tenant_id WHERE t.tenant_id = ?`,
    ),
    instancesByState: db.prepare<[string], InstanceRow>(
      `SELECT ${instanceColumns} FROM instances
        WHERE provisioning_state IN (SELECT value FROM json_each(?)) ORDER BY tenant_id`,
    ),
    deleteInstance: db.prepare('DELETE FROM instances WHERE tenant_id = ?'),

    hostnameOwner: db.prepare<[string], string>('SELECT tenant_id FROM hostnames WHERE hostname = ?').pluck(),
    hostnameClaim: db.prepare<[string], { tenant_id: string; site_id: string }>('SELECT tenant_id, site_id FROM hostnames WHERE hostname = ?'),
    insertHostname: db.prepare("INSERT INTO hostnames (hostname, tenant_id, site_id) VALUES (?, ?, '') ON CONFLICT DO NOTHING"),
    deleteInstanceHostnames: db.prepare("DELETE FROM hostnames WHERE tenant_id = ? AND site_id = ''"),
    deleteHostnames: db.prepare('DELETE FROM hostnames WHERE tenant_id = ?'),

    insertOperation: db.prepare<OperationRow>(
      `INSERT INTO operations (${operationColumns}) VALUES (${values(operationColumns)}) ON CONFLICT DO NOTHING`,
    ),
    updateOperation: db.prepare<OperationRow & { expected: number }>(
      `UPDATE operations SET ${assignments(operationColumns, 'operation_id')} WHERE operation_id = @operation_id AND version = @expected`,
    ),
    getOperation: db.prepare<[string], OperationRow>(`SELECT ${operationColumns} FROM operations WHERE operation_id = ?`),
    operationsByTenant: db.prepare<[string, number], OperationRow>(
      `SELECT ${operationColumns} FROM operations WHERE tenant_id = ? ORDER BY created_at DESC, operation_id DESC LIMIT ?`,
    ),
    openOperations: db.prepare<[], OperationRow>(
      `SELECT ${operationColumns} FROM operations WHERE status IN ('PENDING', 'IN_PROGRESS') ORDER BY created_at, operation_id`,
    ),
    openOperationsOfTenant: db.prepare<[string], OperationRow>(
      `SELECT ${operationColumns} FROM operations
        WHERE tenant_id = ? AND status IN ('PENDING', 'IN_PROGRESS') ORDER BY created_at, operation_id`,
    ),

    insertEvent: db.prepare(
      'INSERT INTO ecs_events (event_id, tenant_id, outcome, recorded_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    hasEvent: db.prepare<[string], number>('SELECT 1 FROM ecs_events WHERE event_id = ?').pluck(),
    pruneEvents: db.prepare('DELETE FROM ecs_events WHERE recorded_at < ?'),

    insertIdempotency: db.prepare<IdempotencyRow>(
      `INSERT INTO idempotency_records (key, scope, request_hash, status_code, body, created_at)
       VALUES (@key, @scope, @request_hash, @status_code, @body, @created_at) ON CONFLICT DO NOTHING`,
    ),
    getIdempotency: db.prepare<[string, string], IdempotencyRow>(
      'SELECT key, scope, request_hash, status_code, body, created_at FROM idempotency_records WHERE key = ? AND scope = ?',
    ),
    pruneIdempotency: db.prepare('DELETE FROM idempotency_records WHERE created_at < ?'),
    ping: db.prepare('SELECT 1').pluck(),
  };

  function putTenant(tenant: Tenant, expectedVersion: number | null): void {
    const row = tenantToRow(tenant);
    const changes = expectedVersion === null ? stmt.insertTenant.run(row).changes : stmt.updateTenant.run({ ...row, expected: expectedVersion }).changes;
    if (changes !== 1) throw new StoreConflictError('tenant', tenant.tenantId);
  }

  function putInstance(instance: Instance, expectedVersion: number | null): void {
    const row = instanceToRow(instance);
    const changes =
      expectedVersion === null ? stmt.insertInstance.run(row).changes : stmt.updateInstance.run({ ...row, expected: expectedVersion }).changes;
    if (changes !== 1) throw new StoreConflictError('instance', instance.tenantId);
    // Rewrite this tenant's host names from the spec; a name owned by another tenant aborts the commit.
    const hostnames = [...new Set(instance.spec.hostnames.map(normalizeHostname))];
    for (const hostname of hostnames) {
      const claim = stmt.hostnameClaim.get(hostname);
      // Another tenant's name, or one of this tenant's sites' names: both are taken.
      if (claim !== undefined && (claim.tenant_id !== instance.tenantId || claim.site_id !== '')) throw new StoreConflictError('hostname', hostname);
    }
    stmt.deleteInstanceHostnames.run(instance.tenantId);
    for (const hostname of hostnames) stmt.insertHostname.run(hostname, instance.tenantId);
  }

  function putOperation(operation: Operation, expectedVersion: number | null): void {
    const row = operationToRow(operation);
    const changes =
      expectedVersion === null ? stmt.insertOperation.run(row).changes : stmt.updateOperation.run({ ...row, expected: expectedVersion }).changes;
    if (changes !== 1) throw new StoreConflictError('operation', operation.operationId);
  }

  const applyWrites = db.transaction((writes: readonly Write[]) => {
    const at = now();
    for (const write of writes) {
      switch (write.kind) {
        case 'putTenant':
          putTenant(write.tenant, write.expectedVersion);
          break;
        case 'putInstance':
          putInstance(write.instance, write.expectedVersion);
          break;
        case 'putOperation':
          putOperation(write.operation, write.expectedVersion);
          break;
        case 'deleteTenant':
          if (write.expectedInstanceVersion !== undefined && stmt.getInstance.get(write.tenantId)?.version !== write.expectedInstanceVersion)
            throw new StoreConflictError('instance', write.tenantId);
          stmt.deleteTenant.run(write.tenantId);
          stmt.deleteInstance.run(write.tenantId);
          stmt.deleteHostnames.run(write.tenantId);
          sites.deleteTenantSites(write.tenantId);
          break;
        case 'putSite':
          sites.putSite(write.site, write.expectedVersion);
          break;
        case 'deleteSite':
          sites.deleteSite(write.tenantId, write.siteId, write.expectedVersion);
          break;
        case 'enqueue':
          insertMessagesSync(db, queueDefinitionsByName, [write.message], at);
          break;
        case 'notify':
          outbox.add(write.notification, new Date(at).toISOString());
          break;
        case 'recordEvent':
          if (stmt.insertEvent.run(write.eventId, write.tenantId, write.outcome, new Date(at).toISOString()).changes !== 1) {
            throw new StoreConflictError('event', write.eventId);
          }
          break;
        default: {
          const unknown: never = write;
          throw new BbwsError('VALIDATION_FAILED', 'Unknown write kind.', { kind: (unknown as { kind: unknown }).kind });
        }
      }
    }
  });

  const pruneBefore = db.transaction(
    (olderThan: string) => stmt.pruneIdempotency.run(olderThan).changes + stmt.pruneEvents.run(olderThan).changes,
  );

  /** One read: the tenant and its instance (LEFT JOIN), as of one moment. */
  function readTenantWithInstance(tenantId: string): { tenant: Tenant; instance: Instance | undefined } | undefined {
    const row = stmt.getTenantWithInstance.get(tenantId);
    if (!row) return undefined;
    const tenant = rowToTenant({
      tenant_id: row.t_tenant_id,
      domain_name: row.t_domain_name,
      environment: row.t_environment,
      created_at: row.t_created_at,
      updated_at: row.t_updated_at,
      version: row.t_version,
    });
    return { tenant, instance: row.tenant_id === null ? undefined : rowToInstance(row as InstanceRow) };
  }

  let closed = false;
  const tenantReads = options.readCache ? createCommitCache<{ tenant: Tenant; instance: Instance | undefined } | undefined>(db) : null;

  /** Runs a database call, turning "database unavailable" failures into STORE_UNAVAILABLE. */
  function run<T>(fn: () => T): Promise<T> {
    if (closed) return Promise.reject(new Error('the SQLite store is closed'));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      if (isDiskFull(err)) return Promise.reject(new BbwsError('INSUFFICIENT_STORAGE', undefined, { sqliteCode: (err as { code: string }).code }));
      if (isSqliteUnavailableError(err)) {
        return Promise.reject(new BbwsError('STORE_UNAVAILABLE', undefined, { sqliteCode: (err as { code: string }).code }));
      }
      return Promise.reject(err);
    }
  }

  return {
    commit: (writes) =>
      run(() => {
        // BEGIN IMMEDIATE: the conditions are checked under the write lock other processes respect.
        if (writes.length > 0) applyWrites.immediate(writes);
      }),

    getTenant: (tenantId) =>
      run(() => {
        const row = stmt.getTenant.get(tenantId);
        return row && rowToTenant(row);
      }),

    getInstance: (tenantId) =>
      run(() => {
        const row = stmt.getInstance.get(tenantId);
        return row && rowToInstance(row);
      }),

    // The API's hot read (GET /v1.0/tenants/{id}): with the read cache, served from memory until anything commits.
    getTenantWithInstance: (tenantId) =>
      run(() => (tenantReads ? tenantReads.get(tenantId, () => readTenantWithInstance(tenantId)) : readTenantWithInstance(tenantId))),

    listTenants: ({ limit, nextToken }) =>
      run((): Page<Tenant> => {
        if (!Number.isInteger(limit) || limit < 1) {
          throw new BbwsError('VALIDATION_FAILED', 'limit must be a positive integer.', { field: 'limit', value: limit });
        }
        const after = nextToken ? decodeToken(nextToken) : '';
        // One row more than asked tells whether another page exists without a COUNT.
        const rows = stmt.listTenants.all(after, limit + 1);
        const items = rows.slice(0, limit).map(rowToTenant);
        const more = rows.length > limit;
        return { items, nextToken: more ? encodeToken(items[items.length - 1].tenantId) : null };
      }),

    findTenantByHostname: (hostname) => run(() => stmt.hostnameOwner.get(normalizeHostname(hostname))),

    listInstancesByState: (states) =>
      run(() => (states.length === 0 ? [] : stmt.instancesByState.all(JSON.stringify(states)).map(rowToInstance))),

    getOperation: (operationId) =>
      run(() => {
        const row = stmt.getOperation.get(operationId);
        return row && rowToOperation(row);
      }),

    listOperations: (tenantId, limit) =>
      run(() => {
        if (!Number.isInteger(limit) || limit < 1) {
          throw new BbwsError('VALIDATION_FAILED', 'limit must be a positive integer.', { field: 'limit', value: limit });
        }
        return stmt.operationsByTenant.all(tenantId, limit).map(rowToOperation);
      }),

    listOpenOperations: (tenantId) =>
      run(() => (tenantId === undefined ? stmt.openOperations.all() : stmt.openOperationsOfTenant.all(tenantId)).map(rowToOperation)),

    getSite: (tenantId, siteId) => run(() => sites.getSite(tenantId, siteId)),
    listSites: (tenantId) => run(() => sites.listSites(tenantId)),
    listExpiredSites: (iso) => run(() => sites.listExpiredSites(iso)),
    hasEvent: (eventId) => run(() => stmt.hasEvent.get(eventId) !== undefined),

    listOutbox: (limit) =>
      run(() => {
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BbwsError('VALIDATION_FAILED', 'limit must be 1-1000.', { field: 'limit', value: limit });
        return outbox.list(limit);
      }),
    deleteOutbox: (ids) => run(() => (ids.length > 0 ? outbox.remove(ids) : undefined)),

    getIdempotency: (key, scope) =>
      run(() => {
        const row = stmt.getIdempotency.get(key, scope);
        return row && rowToIdempotency(row);
      }),

    putIdempotency: (record: IdempotencyRecord) => run(() => stmt.insertIdempotency.run(idempotencyToRow(record)).changes === 1),

    prune: (olderThan) => run(() => pruneBefore.immediate(olderThan)),

    ping: () =>
      run(() => {
        stmt.ping.get();
      }),

    async close() {
      closed = true;
      tenantReads?.close();
    },
  };
}
