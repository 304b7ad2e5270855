/**
 * The undoable, idempotent steps of a tenant's life on the local runtime (seed 003's resources,
 * automated). The saga journals them; each `run` may be repeated and each `undo` may follow a
 * half-run step, so both only ever converge to a state ("exists" / "does not exist").
 */
import { randomBytes } from 'node:crypto';
import type { InstanceSpec } from '../../../domain/tenant.js';
import { effectiveLimits } from '../../../domain/tenant-limits.js';
import { names } from '../../../domain/naming.js';
import type { Logger } from '../../../ports/logger.js';
import type { DeprovisionMode, RuntimeStep } from '../../../ports/runtime.js';
import type { Secrets } from '../../../ports/secrets.js';
import type { PlatformConfig } from '../../../domain/config.js';
import { safeHostname, safeTenantId } from './escape.js';
import type { LocalEventName } from './events.js';
import type { DatabaseServer } from './mariadb.js';
import type { Edge } from './nginx.js';
import type { PhpFpmManager } from './php-fpm.js';
import type { HealthMonitor } from './health-monitor.js';
import type { ProbeResult } from './probe.js';
import { tenantPaths, tenantUnixUser, type Layout } from './layout.js';
import { SALT_KEYS, type Salts } from './render-wp-config.js';
import { forcesSslAdmin } from '../../../domain/tls.js';

import { ensureSystemUser, lookupUser, removeSystemUser } from './unix-users.js';
import { ensureTenantFiles, removeTenantFiles, removeWpConfig, writeCachePlugin, writePrepend, writeWpConfig, type TenantOwner } from './tenant-files.js';
import { join } from 'node:path';
import { errorMessage } from '../../../domain/errors.js';
import { writeDiskQuota } from './disk-quota.js';

/** What wp-config.php knows of the edge's HTTPS (render-wp-config.ts). */
function wpConfigHttps(config: PlatformConfig): { port: number; forceSslAdmin: boolean } | null {
  const tls = config.tls;
  return tls && tls.mode !== 'off' ? { port: tls.httpsPort, forceSslAdmin: forcesSslAdmin(config.env, tls.mode) } : null;
}

export interface StepContext {
  config: PlatformConfig;
  layout: Layout;
  instanceId: string;
  isRoot: boolean;
  webGid: number | null;
  secrets: Secrets;
  db: DatabaseServer;
  phpFpm: PhpFpmManager;
  edge: Edge;
  monitor: HealthMonitor;
  logger: Logger;
  childrenPerTask: number;
  readinessTimeoutMs: number;
  emit(tenantId: string, eventName: LocalEventName, counts: { desired: number; running: number }, reason?: string): Promise<void>;
  probe(tenantId: string, hostname: string): Promise<ProbeResult>;
}

export interface DbCredentials {
  engine: 'mysql';
  host: string;
  port: number;
  username: string;
  password: string;
  dbname: string;
  /** During a rotation (rotate-db-password.ts): the new password, accepted beside `password`. */
  pendingPassword?: string;
}

const token = (bytes = 24) => randomBytes(bytes).toString('base64url');

export function saltsSecretName(env: string, tenantId: string): string {
  return `${env}-${tenantId}-wp-salts`;
}

/** Every host name routed to the tenant: seed 003's default plus the spec's custom domains. */
export function hostnamesOf(ctx: StepContext, spec: InstanceSpec): string[] {
  const all = [names.defaultHostname(ctx.config.env, spec.tenantId, ctx.config.baseDomain), ...spec.hostnames];
  return [...new Set(all.map((h) => safeHostname(h.toLowerCase())))];
}

function checkSpec(ctx: StepContext, spec: InstanceSpec): string {
  const t = safeTenantId(spec.tenantId);
  if (spec.environment !== ctx.config.env) throw new Error(`spec is for ${spec.environment}, this runtime serves ${ctx.config.env}`);
  return t;
}

export async function readCredentials(ctx: StepContext, t: string): Promise<DbCredentials> {
  const raw = await ctx.secrets.get(names.dbCredentialsSecret(ctx.config.env, t));
  if (!raw) throw new Error(`secret ${names.dbCredentialsSecret(ctx.config.env, t)} is missing`);
  return JSON.parse(raw) as DbCredentials;
}

/** Renders wp-config.php with the tenant's credentials and salts, `password` as DB_PASSWORD. */
export async function writeTenantWpConfig(ctx: StepContext, t: string, password: string): Promise<void> {
  const c = await readCredentials(ctx, t);
  const salts = JSON.parse((await ctx.secrets.get(saltsSecretName(ctx.config.env, t))) ?? 'null') as Salts | null;
  if (!salts) throw new Error('salts secret is missing');
  const paths = tenantPaths(ctx.layout, t);
  await writeWpConfig(paths, { dbName: c.dbname, dbUser: c.username, dbPassword: password, dbHost: `${c.host}:${c.port}`, contentDir: paths.content, salts, https: wpConfigHttps(ctx.config) }, await ownerOf(ctx, t));
}

async function ownerOf(ctx: StepContext, t: string): Promise<TenantOwner | null> {
  if (!ctx.isRoot) return null;
  const ids = await lookupUser(tenantUnixUser(ctx.instanceId, t));
  if (!ids) throw new Error(`Unix user of ${t} is missing`);
  return { ...ids, webGid: ctx.webGid! };
}

async function applyService(ctx: StepContext, spec: InstanceSpec): Promise<void> {
  const t = spec.tenantId;
  const service = names.serviceName(ctx.config.env, t);
  if (spec.resources.desiredCount <= 0) return ctx.phpFpm.removePool(service);
  // The edge's request rate and connection limits (a graceful nginx reload only when the tiers change).
  const edgeLimits = effectiveLimits(spec);
  await ctx.edge.setTenantLimits(t, { requestsPerSecond: edgeLimits.requestsPerSecond, connections: edgeLimits.connections });
  const paths = tenantPaths(ctx.layout, t);
  const user = tenantUnixUser(ctx.instanceId, t);
  const limits = effectiveLimits(spec);
  await writePrepend(paths, await ownerOf(ctx, t));
  // The disk-quota pass (disk-quota.ts) reads it: a change applies at its next pass.
  await writeDiskQuota(paths, limits.diskQuotaMb);
  // The database user's own limits first: a pool that may open N connections meets a user allowed them.
  await ctx.db.setTenantLimits(names.databaseUser(t), { connections: spec.limits?.dbConnections ?? (spec.limits?.phpWorkers ?? spec.resources.desiredCount * ctx.childrenPerTask) + 5, statementTimeSeconds: limits.dbQueryTimeSeconds });
  await ctx.phpFpm.applyPool({
    name: service,
    tenantId: t,
    unixUser: ctx.isRoot ? { user, group: user, listenGroup: `bw${ctx.instanceId}-web` } : null,
    socket: join(ctx.layout.phpFpmRun, `${service}.sock`),
    // Per-tenant limits (domain/tenant-limits.ts); the worker default follows this runtime's childrenPerTask.
    maxChildren: spec.limits?.phpWorkers ?? Math.min(1000, spec.resources.desiredCount * ctx.childrenPerTask),
    prependFile: paths.prepend,
    errorLog: paths.phpErrorLog,
    tmpDir: paths.tmp,
    memoryLimitMb: limits.memoryLimitMb,
    uploadMaxMb: limits.uploadMaxMb,
    desiredCount: spec.resources.desiredCount,
    // PHP names a script by its real path (opcache.restrict_api compares that).
  });
  // Every PHP child may hold one connection: keep MariaDB's limit above the sum of the pools.
  const pools = await ctx.phpFpm.listPools();
  await ctx.db.setMaxConnections(pools.reduce((n, p) => n + p.maxChildren, 0) + 50);
}

async function applyRoutes(ctx: StepContext, spec: InstanceSpec): Promise<void> {
  const paths = tenantPaths(ctx.layout, spec.tenantId);
  // The tenant is served again (created again after a soft delete): its sites are no longer suspended.
  await ctx.edge.suspensions.lift(spec.tenantId);
  const socket = join(ctx.layout.phpFpmRun, `${names.serviceName(ctx.config.env, spec.tenantId)}.sock`);
  const wanted = hostnamesOf(ctx, spec);
  for (const h of wanted) await ctx.edge.addRoute(h, paths.www, socket);
  for (const h of await ctx.edge.routesTo(paths.www)) if (!wanted.includes(h)) await ctx.edge.removeRoute(h, paths.www);
}

/**
 * Removes the instance's routes; with `includeSites`, its sites' routes too (they point at
 * `sites-www`, see wordpress/local/site-routes.ts), and any suspension of its host names (a hard
 * delete frees them for others).
 */
async function removeRoutes(ctx: StepContext, tenantId: string, includeSites = false): Promise<void> {
  const paths = tenantPaths(ctx.layout, tenantId);
  for (const h of await ctx.edge.routesTo(paths.www)) await ctx.edge.removeRoute(h, paths.www);
  if (!includeSites) return;
  const sitesDocroot = join(paths.dir, 'sites-www');
  for (const h of await ctx.edge.routesTo(sitesDocroot)) await ctx.edge.removeRoute(h, sitesDocroot);
  await ctx.edge.suspensions.lift(tenantId);
}

/**
 * A soft deprovision keeps the sites' routes (they answer again as soon as the pool is back), and
 * suspends every host name of the tenant: the edge answers them 503 "suspended" meanwhile, not a
 * 502 from a pool that is gone or a 404.
 */
async function suspendHosts(ctx: StepContext, tenantId: string): Promise<void> {
  const paths = tenantPaths(ctx.layout, tenantId);
  const hosts = [...(await ctx.edge.routesTo(paths.www)), ...(await ctx.edge.routesTo(join(paths.dir, 'sites-www')))];
  await ctx.edge.suspensions.suspend(tenantId, hosts);
}

/** Polls the real route until WordPress answers; SERVICE_STEADY_STATE or SERVICE_TASK_START_IMPAIRED. */
async function awaitReadiness(ctx: StepContext, spec: InstanceSpec): Promise<void> {
  const t = spec.tenantId;
  const desired = spec.resources.desiredCount;
  if (desired <= 0) return ctx.emit(t, 'SERVICE_STEADY_STATE', { desired: 0, running: 0 });
  const host = hostnamesOf(ctx, spec)[0]!;
  const deadline = Date.now() + ctx.readinessTimeoutMs;
  let last: ProbeResult = { ok: false, status: 0, error: 'not probed' };
  while (Date.now() < deadline) {
    last = await ctx.probe(t, host);
    if (last.ok) {
      ctx.phpFpm.goLive(names.serviceName(ctx.config.env, t));
      ctx.monitor.watch(t);
      return ctx.emit(t, 'SERVICE_STEADY_STATE', { desired, running: desired });
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const reason = `readiness check of http://${host}/ failed: ${last.error ?? `HTTP ${last.status}${last.location ? ` → ${last.location}` : ''}`}`;
  await ctx.emit(t, 'SERVICE_TASK_START_IMPAIRED', { desired, running: 0 }, reason);
  throw new Error(reason);
}

/** Wraps steps so that a failing step reports DEPLOYMENT_FAILED (readiness reports its own event). */
function reported(ctx: StepContext, spec: InstanceSpec, steps: RuntimeStep[]): RuntimeStep[] {
  return steps.map((s) => ({
    name: s.name,
    undo: s.undo,
    run: async () => {
      try {
        await s.run();
      } catch (e) {
        const reason = `${s.name}: ${errorMessage(e)}`;
        ctx.logger.error({ tenantId: spec.tenantId, step: s.name, err: reason }, 'runtime step failed');
        if (s.name !== 'await-readiness') await ctx.emit(spec.tenantId, 'DEPLOYMENT_FAILED', { desired: spec.resources.desiredCount, running: 0 }, reason).catch(() => undefined);
        throw e;
      }
    },
  }));
}

export function provisionSteps(ctx: StepContext, spec: InstanceSpec): RuntimeStep[] {
  const t = checkSpec(ctx, spec);
  const env = ctx.config.env;
  const paths = tenantPaths(ctx.layout, t);
  const user = tenantUnixUser(ctx.instanceId, t);
  const credsName = names.dbCredentialsSecret(env, t);
  return reported(ctx, spec, [
    {
      name: 'store-db-credentials',
      run: async () => {
        await ctx.emit(t, 'DEPLOYMENT_IN_PROGRESS', { desired: spec.resources.desiredCount, running: 0 });
        if (!(await ctx.secrets.get(credsName))) {
          const creds: DbCredentials = { engine: 'mysql', host: ctx.db.tenantHost.host, port: ctx.db.tenantHost.port, username: names.databaseUser(t), password: token(), dbname: names.databaseName(t) };
          await ctx.secrets.put(credsName, JSON.stringify(creds));
        }
        if (!(await ctx.secrets.get(saltsSecretName(env, t)))) {
          const salts = Object.fromEntries(SALT_KEYS.map((k) => [k, token(48)])) as Salts;
          await ctx.secrets.put(saltsSecretName(env, t), JSON.stringify(salts));
        }
      },
      undo: async () => {
        await ctx.secrets.delete(credsName);
        await ctx.secrets.delete(saltsSecretName(env, t));
      },
    },
    {
      name: 'create-database',
      run: async () => {
        const c = await readCredentials(ctx, t);
        await ctx.db.ensureTenantDatabase(c.dbname, c.username, c.password);
      },
      undo: () => ctx.db.dropTenantDatabase(names.databaseName(t), names.databaseUser(t)),
    },
    {
      name: 'create-unix-user',
      run: async () => {
        if (ctx.isRoot) await ensureSystemUser(user);
        else ctx.logger.warn({ tenantId: t }, 'not running as root: the tenant runs as the current user, without isolation from other tenants');
      },
      undo: async () => {
        if (ctx.isRoot) await removeSystemUser(user);
      },
    },
    {
      name: 'create-content-directory',
      run: async () => {
        const owner = await ownerOf(ctx, t);
        await ensureTenantFiles(paths, owner);
        await writeCachePlugin(paths, t, ctx.layout.purgeSocket, owner);
      },
      undo: () => removeTenantFiles(paths),
    },
    {
      name: 'write-wp-config',
      run: async () => writeTenantWpConfig(ctx, t, (await readCredentials(ctx, t)).password),
      undo: () => removeWpConfig(paths),
    },
    { name: 'start-service', run: () => applyService(ctx, spec), undo: () => ctx.phpFpm.removePool(names.serviceName(env, t)) },
    { name: 'create-route', run: () => applyRoutes(ctx, spec), undo: () => removeRoutes(ctx, t) },
    { name: 'await-readiness', run: () => awaitReadiness(ctx, spec), undo: async () => ctx.monitor.unwatch(t) },
  ]);
}

export function updateSteps(ctx: StepContext, previous: InstanceSpec, next: InstanceSpec): RuntimeStep[] {
  const t = checkSpec(ctx, next);
  if (previous.tenantId !== t) throw new Error('updateSteps: previous and next are different tenants');
  const countChanged = previous.resources.desiredCount !== next.resources.desiredCount;
  return reported(ctx, next, [
    {
      // Also re-enables a soft-deprovisioned instance: the pool is (re)applied with next's capacity.
      name: countChanged ? 'scale-service' : 'apply-service',
      run: async () => {
        if (countChanged) await ctx.emit(t, 'SERVICE_DESIRED_COUNT_UPDATED', { desired: next.resources.desiredCount, running: previous.resources.desiredCount });
        await applyService(ctx, next);
      },
      undo: () => applyService(ctx, previous),
    },
    { name: 'update-routes', run: () => applyRoutes(ctx, next), undo: () => applyRoutes(ctx, previous) },
    { name: 'await-readiness', run: () => awaitReadiness(ctx, next), undo: async () => undefined },
  ]);
}

export function deprovisionSteps(ctx: StepContext, spec: InstanceSpec, mode: DeprovisionMode): RuntimeStep[] {
  const t = checkSpec(ctx, spec);
  const env = ctx.config.env;
  const paths = tenantPaths(ctx.layout, t);
  const deleted = () => ctx.emit(t, 'SERVICE_DELETED', { desired: 0, running: 0 });
  const soft: RuntimeStep[] = [
    {
      name: 'remove-route',
      run: async () => {
        ctx.monitor.unwatch(t);
        if (mode === 'soft') await suspendHosts(ctx, t);
        await removeRoutes(ctx, t, mode === 'hard');
      },
      undo: () => applyRoutes(ctx, spec),
    },
    {
      name: 'stop-service',
      run: async () => {
        await ctx.phpFpm.removePool(names.serviceName(env, t));
        if (mode === 'soft') await deleted();
      },
      undo: () => applyService(ctx, spec),
    },
  ];
  if (mode === 'soft') return reported(ctx, spec, soft);
  // Past this point data is destroyed: the undos cannot bring it back and are no-ops.
  const gone = async () => undefined;
  return reported(ctx, spec, [
    ...soft,
    {
      name: 'remove-content-directory',
      run: async () => {
        await ctx.edge.setTenantLimits(t, null);
        await removeTenantFiles(paths);
      },
      undo: gone,
    },
    { name: 'remove-unix-user', run: async () => (ctx.isRoot ? removeSystemUser(tenantUnixUser(ctx.instanceId, t)) : undefined), undo: gone },
    { name: 'drop-database', run: () => ctx.db.dropTenantDatabase(names.databaseName(t), names.databaseUser(t)), undo: gone },
    {
      name: 'delete-db-credentials',
      run: async () => {
        await ctx.secrets.delete(names.dbCredentialsSecret(env, t));
        await ctx.secrets.delete(saltsSecretName(env, t));
        await deleted();
      },
      undo: gone,
    },
  ]);
}
