/**
 * Tables of the SQLite store and the mapping between rows and domain records. Fields that are
 * queried or sorted on (tenant id, provisioning state, operation status, creation time) are real,
 * indexed columns; nested values (instance spec, operation input and steps) are JSON text.
 */
import type { Operation } from '../../domain/operation.js';
import type { Instance, Tenant } from '../../domain/tenant.js';
import type { IdempotencyRecord } from '../../ports/store.js';
import type { Migration } from '../sqlite/database.js';

export const STORE_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-store-tables',
    sql: `
      CREATE TABLE tenants (
        tenant_id TEXT PRIMARY KEY,
        domain_name TEXT NOT NULL,
        environment TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        version INTEGER NOT NULL
      );
      -- No foreign key to tenants: the DynamoDB adapter cannot enforce one, and both must behave alike.
      CREATE TABLE instances (
        tenant_id TEXT PRIMARY KEY,
        provisioning_state TEXT NOT NULL,
        workflow_status TEXT,
        desired_count INTEGER NOT NULL,
        running_count INTEGER NOT NULL,
        last_error TEXT,
        spec TEXT NOT NULL,
        previous_spec TEXT,
        last_event_time TEXT,
        last_event_id TEXT,
        updated_at TEXT NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE INDEX instances_by_state ON instances (provisioning_state, tenant_id);
      -- One row per routed host name: the primary key makes two tenants sharing a host impossible.
      CREATE TABLE hostnames (
        hostname TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL
      );
      CREATE INDEX hostnames_by_tenant ON hostnames (tenant_id);
      CREATE TABLE operations (
        operation_id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        input TEXT NOT NULL,
        steps TEXT NOT NULL,
        error TEXT,
        correlation_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deadline_at TEXT NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE INDEX operations_by_tenant ON operations (tenant_id, created_at, operation_id);
      CREATE INDEX operations_by_status ON operations (status, created_at, operation_id);
      CREATE TABLE ecs_events (
        event_id TEXT PRIMARY KEY,
        tenant_id TEXT,
        outcome TEXT NOT NULL,
        recorded_at TEXT NOT NULL
      );
      CREATE INDEX ecs_events_by_time ON ecs_events (recorded_at);
      CREATE TABLE idempotency_records (
        key TEXT NOT NULL,
        scope TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status_code INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (key, scope)
      );
      CREATE INDEX idempotency_by_time ON idempotency_records (created_at);
    `,
  },
];

export interface TenantRow {
  tenant_id: string;
  domain_name: string;
  environment: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface InstanceRow {
  tenant_id: string;
  provisioning_state: string;
  workflow_status: string | null;
  desired_count: number;
  running_count: number;
  last_error: string | null;
  spec: string;
  previous_spec: string | null;
  last_event_time: string | null;
  last_event_id: string | null;
  updated_at: string;
  version: number;
}

export interface OperationRow {
  operation_id: string;
  type: string;
  status: string;
  tenant_id: string;
  input: string;
  steps: string;
  error: string | null;
  correlation_id: string | null;
  created_at: string;
  updated_at: string;
  deadline_at: string;
  version: number;
}

export interface IdempotencyRow {
  key: string;
  scope: string;
  request_hash: string;
  status_code: number;
  body: string;
  created_at: string;
}

export const tenantToRow = (t: Tenant): TenantRow => ({
  tenant_id: t.tenantId,
  domain_name: t.domainName,
  environment: t.environment,
  created_at: t.createdAt,
  updated_at: t.updatedAt,
  version: t.version,
});

export const rowToTenant = (r: TenantRow): Tenant => ({
  tenantId: r.tenant_id,
  domainName: r.domain_name,
  environment: r.environment as Tenant['environment'],
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  version: r.version,
});

export const instanceToRow = (i: Instance): InstanceRow => ({
  tenant_id: i.tenantId,
  provisioning_state: i.provisioningState,
  workflow_status: i.workflowStatus,
  desired_count: i.desiredCount,
  running_count: i.runningCount,
  last_error: i.lastError,
  spec: JSON.stringify(i.spec),
  previous_spec: i.previousSpec === null ? null : JSON.stringify(i.previousSpec),
  last_event_time: i.lastEventTime,
  last_event_id: i.lastEventId,
  updated_at: i.updatedAt,
  version: i.version,
});

export const rowToInstance = (r: InstanceRow): Instance => ({
  tenantId: r.tenant_id,
  provisioningState: r.provisioning_state as Instance['provisioningState'],
  workflowStatus: r.workflow_status,
  desiredCount: r.desired_count,
  runningCount: r.running_count,
  lastError: r.last_error,
  spec: JSON.parse(r.spec) as Instance['spec'],
  previousSpec: r.previous_spec === null ? null : (JSON.parse(r.previous_spec) as Instance['spec']),
  lastEventTime: r.last_event_time,
  lastEventId: r.last_event_id,
  updatedAt: r.updated_at,
  version: r.version,
});

export const operationToRow = (o: Operation): OperationRow => ({
  operation_id: o.operationId,
  type: o.type,
  status: o.status,
  tenant_id: o.tenantId,
  input: JSON.stringify(o.input),
  steps: JSON.stringify(o.steps),
  error: o.error,
  correlation_id: o.correlationId,
  created_at: o.createdAt,
  updated_at: o.updatedAt,
  deadline_at: o.deadlineAt,
  version: o.version,
});

export const rowToOperation = (r: OperationRow): Operation => ({
  operationId: r.operation_id,
  type: r.type as Operation['type'],
  status: r.status as Operation['status'],
  tenantId: r.tenant_id,
  input: JSON.parse(r.input) as Operation['input'],
  steps: JSON.parse(r.steps) as Operation['steps'],
  error: r.error,
  correlationId: r.correlation_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deadlineAt: r.deadline_at,
  version: r.version,
});

export const idempotencyToRow = (i: IdempotencyRecord): IdempotencyRow => ({
  key: i.key,
  scope: i.scope,
  request_hash: i.requestHash,
  status_code: i.statusCode,
  body: i.body,
  created_at: i.createdAt,
});

export const rowToIdempotency = (r: IdempotencyRow): IdempotencyRecord => ({
  key: r.key,
  scope: r.scope,
  requestHash: r.request_hash,
  statusCode: r.status_code,
  body: r.body,
  createdAt: r.created_at,
});
