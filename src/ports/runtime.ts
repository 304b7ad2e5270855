/**
 * Where tenant WordPress instances actually run. Adapters: `adapters/runtime/local/` (MariaDB,
 * php-fpm and nginx on this host) and, later, an ECS runtime. The saga (app/run-operation.ts)
 * drives a runtime through steps and journals them; the runtime reports what happens to running
 * services as ECS-shaped events through the {@link RuntimeEventSink} it was created with, so one
 * event handler serves every runtime.
 *
 * What an adapter must guarantee: every step's `run` and `undo` is idempotent and may be called
 * after a crash half-way through either; `undo` of a step that never ran is a no-op; events are
 * emitted at least once and may arrive late or out of order (the handler orders them by `time`).
 */
import type { EcsEvent } from '../domain/ecs-event.js';
import type { InstanceSpec } from '../domain/tenant.js';
import type { Certificates } from './certificates.js';

/**
 * One undoable unit of work. `run` and `undo` must be idempotent: a redelivered message may run
 * a step again, or undo a step that only half ran.
 */
export interface RuntimeStep {
  /** Stable name, shown in the operation journal (e.g. `create-database`). */
  name: string;
  run(): Promise<void>;
  undo(): Promise<void>;
}

export type DeprovisionMode = 'soft' | 'hard';

export interface ComponentHealth {
  name: string;
  status: 'ok' | 'degraded' | 'down';
  detail?: string;
  restarts?: number;
}

export interface Runtime {
  /** e.g. `local`, `ecs`. */
  readonly kind: string;
  /** Steps that create everything an instance needs, ending with the service started. */
  provisionSteps(spec: InstanceSpec): RuntimeStep[];
  /** Steps that apply a new spec (scale, rollback) to a running instance. */
  updateSteps(previous: InstanceSpec, next: InstanceSpec): RuntimeStep[];
  /** soft: capacity 0 and route removed, data kept; hard: everything removed. */
  deprovisionSteps(spec: InstanceSpec, mode: DeprovisionMode): RuntimeStep[];
  /** The edge's TLS certificates; absent or null when the runtime serves no HTTPS. */
  readonly certificates?: Certificates | null;
  /**
   * Replaces the tenant's database password, with no failed request during the switch (both
   * passwords are accepted until the new one is confirmed in use). Idempotent: a run after a
   * crash continues with the password the crashed one chose. Absent where a runtime cannot.
   */
  rotateDatabasePassword?(tenantId: string, progress?: (step: string) => void): Promise<void>;
  /**
   * Replaces the edge's basic-auth password (SIT, PROD) with no failed request: the new one is
   * accepted at once, the old one too until `graceSeconds` have passed, then refused. Throws
   * INVALID_STATE where the edge asks for no basic auth. Idempotent: a run after a crash continues
   * with the password the crashed one chose. Absent where a runtime cannot.
   */
  rotateEdgeBasicAuth?(graceSeconds: number, progress?: (step: string) => void): Promise<{ graceUntil: string }>;
  /**
   * Resources named for a tenant that is not in `live` (no record): what `bbws cleanup --type
   * moderate` lists and removes. Absent where a runtime cannot tell.
   */
  listOrphans?(live: ReadonlySet<string>): Promise<OrphanResource[]>;
  /** Removes one orphan if it still is one against `live` (re-read just before). Idempotent. */
  removeOrphan?(orphan: OrphanResource, live: ReadonlySet<string>): Promise<void>;
  /** Temp files of killed writers and old rotated logs (`bbws cleanup --type safe`). */
  listLeftoverFiles?(): Promise<LeftoverFile[]>;
  /** Removes one if it still is a leftover (read again just before); false when it no longer is. */
  removeLeftoverFile?(file: LeftoverFile): Promise<boolean>;
  /**
   * Tables and uploads of sites that are not live, in tenants that are (`bbws cleanup --type safe`):
   * `live` maps each tenant to look in to the ids of its live sites.
   */
  listSiteLeftovers?(live: ReadonlyMap<string, ReadonlySet<string>>): Promise<SiteLeftover[]>;
  /** Removes one if its site is still not live in `live` (re-read just before); false otherwise. */
  removeSiteLeftover?(item: SiteLeftover, live: ReadonlyMap<string, ReadonlySet<string>>): Promise<boolean>;
  /** State of the runtime's own components (servers it supervises). */
  health(): Promise<ComponentHealth[]>;
  stop(): Promise<void>;
}

/** A file nobody will finish or read again: a killed writer's temp file, or a log past its age. */
export interface LeftoverFile {
  kind: 'temp-file' | 'log';
  path: string;
  bytes: number;
  /** ISO 8601. */
  modifiedAt: string;
}

/** What a site whose deletion did not finish left in its (live) tenant. */
export interface SiteLeftover {
  kind: 'site-tables' | 'site-uploads';
  tenantId: string;
  siteId: string;
  /** `<db>.s<site>_*`, or the uploads dir's path. */
  name: string;
  bytes: number | null;
}

/** A resource of the runtime whose tenant has no record. */
export interface OrphanResource {
  kind: 'database' | 'db-user' | 'php-fpm-pool' | 'directory' | 'unix-user' | 'route';
  /** The database, user or pool name, the directory's path, or the route's host name. */
  name: string;
  /** The tenant it is named for (null: a Unix user whose name hashes a long id). */
  tenantId: string | null;
  /** Its size where it has one (database, directory). */
  bytes: number | null;
  /** Its last change where it has one (directory), ISO 8601. */
  modifiedAt: string | null;
}

/** Receives the events a runtime emits; the composition root points it at the ECS events queue. */
export type RuntimeEventSink = (event: EcsEvent) => Promise<void>;
