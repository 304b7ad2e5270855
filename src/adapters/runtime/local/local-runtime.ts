/**
 * The local runtime: real WordPress tenants on this host. It runs and supervises its own
 * MariaDB (or uses an external MySQL URL), sharded php-fpm masters with one pool per tenant,
 * and one nginx edge on `edgePort`, all as children of bbws with everything under
 * `<dataDir>/runtime` (layout.ts). docs/local-runtime.md explains the design and the traps.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import type { PlatformConfig } from '../../../domain/config.js';
import { edgeAsksForBasicAuth, edgeBasicAuthSecretName, edgeBasicAuthUser } from '../../../domain/edge-basic-auth.js';
import type { Logger } from '../../../ports/logger.js';
import type { ComponentHealth, Runtime, RuntimeEventSink } from '../../../ports/runtime.js';
import type { Secrets } from '../../../ports/secrets.js';
import { StartupError } from '../../../ports/startup-error.js';
import { buildLocalEcsEvent } from './events.js';
import { setHelperNiceness } from './exec.js';
import { createHealthMonitor, type HealthMonitor } from './health-monitor.js';
import { alignDocrootLinks, chooseRuntimeRoot, dataDirMode, layoutAt, prepareRuntimeTree, privateParentOf, PRIVATE_UMASK, RUNTIME_RECORD, tenantPaths, tenantUnixUser, webGroupName, type Layout, type TenantPaths } from './layout.js';
import { connectExternalMySql, startEmbeddedMariaDb, type DatabaseServer } from './mariadb.js';
import { edgeConnectHost, startEdge, type Edge } from './nginx.js';
import { startPhpFpm, type PhpFpmManager } from './php-fpm.js';
import { findPhpFpmBinary } from './prerequisites.js';
import { probeTenant, type ProbeResult } from './probe.js';
import { rotateDatabasePassword } from './rotate-db-password.js';
import { rotateEdgeBasicAuth } from './rotate-edge-basic-auth.js';
import { listOrphans, removeOrphan } from './orphans.js';
import { listLeftoverFiles, removeLeftoverFile } from './leftover-files.js';
import { listSiteLeftovers, removeSiteLeftover } from './site-leftovers.js';
import { deprovisionSteps, provisionSteps, updateSteps, type StepContext } from './tenant-steps.js';
import { ensureSystemUser, lookupUser } from './unix-users.js';
import { names } from '../../../domain/naming.js';
import { safeTenantId } from './escape.js';
import type { Supervised } from './supervisor.js';
import { startGroupReaper, stopLeftovers } from './leftovers.js';
import { errorMessage } from '../../../domain/errors.js';
import { startPurgeServer } from './purge-server.js';
import { startDiskQuotas, type QuotaState } from './disk-quota.js';
import type { Metrics } from '../../../ports/metrics.js';
import { prepareEdgeTls } from './edge-tls.js';
import type { CertificateManager } from '../../tls/certificate-manager.js';
import { certificateGauges } from '../../../domain/certificate-gauges.js';

async function refreshCertificateGauges(manager: CertificateManager, metrics: Metrics): Promise<void> {
  try {
    const g = certificateGauges(await manager.list(), Date.now());
    if (g.expiryDaysMin !== null) metrics.setGauge('bbws_certificate_expiry_days_min', g.expiryDaysMin);
    metrics.setGauge('bbws_certificates_failed', g.failed);
  } catch {
    // the next minute tries again; the tls component of /health says what is wrong
  }
}

export interface LocalRuntimeOptions {
  config: PlatformConfig;
  secrets: Secrets;
  emit: RuntimeEventSink;
  logger: Logger;
  /** Where the disk-quota pass reports `bbws_tenants_over_disk_quota` (an alarm reads it). */
  metrics?: Metrics;
  /** Address the edge listens on (default: config.edgeHost, 127.0.0.1 unless the operator says otherwise). */
  edgeListenAddress?: string;
  /** Fixed MariaDB port (default: chosen once, kept in the data dir). */
  mariadbPort?: number;
  /** Tenants per php-fpm master (default 32). */
  shardSize?: number;
  /** New tenants' own php-fpm masters allowed before they are merged into a shard (default 8; php-fpm.ts). */
  nurseryLimit?: number;
  /** How long masters replaced by a merge keep running (default 12 s; php-fpm.ts). */
  mergedRetireGraceMs?: number;
  /** php-fpm children per "task" of desiredCount (default 4). */
  childrenPerTask?: number;
  /** Health check period (default 30 s). */
  healthIntervalMs?: number;
  /** How long provisioning waits for the first good answer (default 60 s). */
  readinessTimeoutMs?: number;
  /** Niceness of helper programs run while provisioning (default 10; exec.ts). */
  helperNiceness?: number;
  /** The edge's page cache TTL when a site sets none (default 600 s); 0: no page cache. */
  pageCacheTtlSeconds?: number;
  /** Clock and sweep period of the certificate manager (tests move time to renewal or expiry). */
  tlsClock?: () => number;
  tlsSweepIntervalMs?: number;
  /** Retries of a failed request to the ACME CA (acme-client's default 5, over 75 s; tests: 0). */
  acmeRetries?: number;
}

export interface LocalRuntime extends Runtime {
  readonly kind: 'local';
  /** `http://127.0.0.1:<edgePort>` — send the tenant's host name in the Host header. */
  readonly edgeUrl: string;
  readonly layout: Layout;
  /** Basic auth the edge asks for (SIT, PROD), or null. */
  readonly basicAuth: { user: string; password: string } | null;
  /** The tenant's Unix user (null when not root) and paths, for operators and tests. */
  tenantUser(tenantId: string): string | null;
  tenantPaths(tenantId: string): TenantPaths;
  probe(tenantId: string, hostname?: string): Promise<ProbeResult>;
  /** Runs one round of health checks now instead of waiting for the timer. */
  checkTenantsNow(): Promise<void>;
  /** Supervised children (mariadb, php-fpm shards, nginx) with their PIDs. */
  children(): Supervised[];
  /** The php-fpm shards (consolidate / settled for the bench and operators). */
  readonly phpFpm: PhpFpmManager;
  readonly database: DatabaseServer;
  /** Fault injection for the undo tests; never set in production. */
  readonly faults: { rejectNextPhpFpmConfig: boolean };
  /** The platform settings the runtime was started with (env, edgePort, baseDomain) — for the WordPress adapter. */
  readonly config: PlatformConfig;
  /** The edge's route table (site host names are routed by the WordPress adapter). */
  readonly edge: Edge;
  /** The tenant's php-fpm socket (route target for the tenant's site host names). */
  tenantSocket(tenantId: string): string;
  /** The tenant's Unix uid/gid and the web group's gid; null when not root (no isolation). */
  tenantOwner(tenantId: string): Promise<{ uid: number; gid: number; webGid: number } | null>;
  /** Measures every tenant's files against its disk quota now (the pass runs every 120 s anyway). */
  checkDiskQuotasNow(): Promise<QuotaState[]>;
  /** The edge's certificates (docs/tls.md); null when --tls off. */
  readonly certificates: CertificateManager | null;
}

/**
 * The part of the local runtime the WordPress adapter (`adapters/wordpress/local/`) works with:
 * the platform settings, the data dir's layout, the edge's route table and, per tenant, its
 * paths, Unix owner and php-fpm socket. Nothing that starts, stops or probes servers.
 */
export type WordPressHost = Pick<LocalRuntime, 'config' | 'layout' | 'edge' | 'tenantPaths' | 'tenantOwner' | 'tenantSocket'>;

async function readOrCreateInstanceId(layout: Layout): Promise<string> {
  const existing = (await readFile(layout.instanceIdFile, 'utf8').catch(() => '')).trim();
  if (/^[0-9a-f]{4}$/.test(existing)) return existing;
  const id = randomBytes(2).toString('hex');
  await writeFile(layout.instanceIdFile, `${id}\n`, { mode: 0o600 });
  return id;
}

/**
 * Lays out the runtime tree (layout.ts decides where and with which modes) and the data dir's
 * search bit: 0711 when tenants must pass through it to reach the tree, 0700 when it is elsewhere.
 */
async function prepareRuntime(dataDir: string, isRoot: boolean, logger: Logger): Promise<{ layout: Layout; instanceId: string; web: { uid: number; gid: number } | null }> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const { root, relocated } = chooseRuntimeRoot(dataDir, isRoot);
  const layout = layoutAt(root);
  await mkdir(layout.root, { recursive: true, mode: 0o700 });
  await chmod(dataDir, dataDirMode((await stat(dataDir)).mode, !relocated, isRoot));
  if (relocated) {
    logger.info({ dataDir, runtimeRoot: root }, 'a parent of the data dir is private: the runtime tree (what tenants and nginx reach) is outside it');
    // A tree left by older code under the private parent: never used again, kept private.
    await chmod(join(dataDir, 'runtime'), 0o700).catch(() => undefined);
  } else if (isRoot) {
    const parent = privateParentOf(dataDir);
    if (parent) logger.warn({ dir: parent, runtimeRoot: root }, `${parent} is not searchable by others: tenants will get 404/502 (chmod o+x ${parent}, or remove ${join(dataDir, RUNTIME_RECORD)} while bbws is stopped to move the runtime tree out)`);
  }
  const instanceId = await readOrCreateInstanceId(layout);
  const web = isRoot ? await ensureSystemUser(webGroupName(instanceId)) : null;
  prepareRuntimeTree(layout, web?.gid ?? null, web?.uid ?? null);
  if (isRoot) alignDocrootLinks(layout);
  return { layout, instanceId, web };
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const { config, secrets, logger: rootLogger } = options;
  const logger = rootLogger.child({ component: 'local-runtime' });
  process.umask(PRIVATE_UMASK);
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) logger.warn({}, 'not running as root: all tenants run as the current user, without isolation between them');
  const { layout, instanceId, web } = await prepareRuntime(config.dataDir, isRoot, logger).catch((e: unknown) => {
    throw new StartupError(`bbws could not lay out the runtime tree of ${config.dataDir}: ${errorMessage(e)}`, 'fix the cause named above (as root) and start bbws again', { cause: e });
  });
  // Servers a killed earlier run of this data dir left behind would hold its ports, sockets and
  // MariaDB's files (leftovers.ts): stop them before starting ours.
  await stopLeftovers(layout.root, logger);
  // Takes the servers' workers down too if bbws is killed (the parent-death signal reaches only the masters).
  const reaper = startGroupReaper(layout.root);
  setHelperNiceness(options.helperNiceness ?? 19);
  const phpFpmBinary = await findPhpFpmBinary();
  if (!phpFpmBinary) throw new StartupError('php-fpm is not installed', 'run `bbws setup` (as root)');

  let basicAuth: { user: string; password: string } | null = null;
  if (edgeAsksForBasicAuth(config.env)) {
    const name = edgeBasicAuthSecretName(config.env);
    let password = await secrets.get(name);
    if (!password) {
      password = randomBytes(24).toString('base64url');
      await secrets.put(name, password);
    }
    basicAuth = { user: edgeBasicAuthUser(config.env), password };
  }

  const started: Array<{ stop(): Promise<void> }> = [];
  const faults = { rejectNextPhpFpmConfig: false };
  try {
    const db = config.mysqlUrl
      ? await connectExternalMySql(config.mysqlUrl, layout)
      : await startEmbeddedMariaDb({ layout, logger, port: options.mariadbPort, maxConnections: 200, osUser: isRoot ? 'mysql' : userInfo().username, runAsRoot: isRoot });
    started.push(db);
    const listenAddress = options.edgeListenAddress ?? config.edgeHost;
    const edgeHost = edgeConnectHost(listenAddress);
    const tls = await prepareEdgeTls({ config, layout, webGid: web?.gid ?? null, secrets, logger, now: options.tlsClock, sweepIntervalMs: options.tlsSweepIntervalMs, acmeRetries: options.acmeRetries });
    if (tls) started.push(tls.manager);
    const edge = await startEdge({
      layout,
      logger,
      port: config.edgePort,
      listenAddress,
      workerUser: web ? { user: webGroupName(instanceId), group: webGroupName(instanceId) } : null,
      webGid: web?.gid ?? null,
      basicAuth,
      cacheTtlSeconds: options.pageCacheTtlSeconds,
      tls: tls?.input ?? null,
      // Issuance never holds back provisioning: the tenant is ACTIVE on HTTP, HTTPS follows.
      onRouteAdded: tls ? () => void tls.manager.kick().catch(() => undefined) : undefined,
    });
    started.push(edge);
    // The cache mu-plugin's purges (purge-server.ts). Stopped before the edge (started is unwound in reverse).
    const purgeServer = await startPurgeServer({ layout, edge, logger });
    started.push(purgeServer);
    const faultProxy = {
      get rejectNextConfig() {
        return faults.rejectNextPhpFpmConfig;
      },
      set rejectNextConfig(v: boolean) {
        faults.rejectNextPhpFpmConfig = v;
      },
    };
    // A replacement php-fpm master is warmed before it takes over (php-fpm.ts): one request
    // through a temporary, unguessable route to the new socket, removed right after.
    const warm = async (tenantId: string, socket: string) => {
      // Matches WARM_ROUTE: a route left by a kill here is removed at the next start (nginx.ts).
      const host = `warm-${randomBytes(8).toString('hex')}.bbws.invalid`;
      await edge.addRoute(host, tenantPaths(layout, tenantId).www, socket);
      try {
        await probeTenant({ edgePort: config.edgePort, edgeHost, hostname: host, basicAuth }, 30_000);
      } finally {
        await edge.removeRoute(host, tenantPaths(layout, tenantId).www);
      }
    };
    const phpFpm: PhpFpmManager = await startPhpFpm({ layout, logger, binary: phpFpmBinary, shardSize: options.shardSize ?? 32, nurseryLimit: options.nurseryLimit, mergedRetireGraceMs: options.mergedRetireGraceMs, warm, faults: faultProxy });
    started.push(phpFpm);

    const emit = async (tenantId: string, eventName: Parameters<StepContext['emit']>[1], counts: { desired: number; running: number }, reason?: string) => {
      const event = buildLocalEcsEvent({ env: config.env, tenantId, eventName, desiredCount: counts.desired, runningCount: counts.running, reason });
      logger.info({ tenantId, action: 'runtime-event', status: eventName, reason }, `runtime event ${eventName}`);
      await options.emit(event);
    };
    const probe = (tenantId: string, hostname?: string) =>
      probeTenant({ edgePort: config.edgePort, edgeHost, hostname: hostname ?? `${tenantId}.wp${config.env}.${config.baseDomain}`, basicAuth });
    const monitor: HealthMonitor = createHealthMonitor(
      {
        probe: (id) => probe(id),
        onUnhealthy: async (id, reason) => {
          const pool = await phpFpm.getPool(`${config.env}-${id}-service`);
          await emit(id, 'SERVICE_TASK_START_IMPAIRED', { desired: pool ? (pool.desiredCount ?? Math.ceil(pool.maxChildren / (options.childrenPerTask ?? 4))) : 0, running: 0 }, reason);
        },
        onHealthy: async (id) => {
          const pool = await phpFpm.getPool(`${config.env}-${id}-service`);
          const n = pool ? (pool.desiredCount ?? Math.ceil(pool.maxChildren / (options.childrenPerTask ?? 4))) : 0;
          await emit(id, 'SERVICE_STEADY_STATE', { desired: n, running: n });
        },
      },
      options.healthIntervalMs ?? config.healthIntervalSeconds * 1000,
    );
    // After a bbws restart, keep watching the tenants that are running. Their health is unknown:
    // one reported unhealthy before (or while bbws was down) must be reported healthy again.
    for (const p of await phpFpm.listPools()) monitor.watch(p.tenantId, 'unknown');
    const diskQuotas = startDiskQuotas({
      layout,
      logger,
      metrics: options.metrics,
      groupOf: async (id) => (isRoot ? ((await lookupUser(tenantUnixUser(instanceId, id)))?.gid ?? null) : null),
    });
    tls?.manager.start();

    const ctx: StepContext = {
      config,
      layout,
      instanceId,
      isRoot,
      webGid: web?.gid ?? null,
      secrets,
      db,
      phpFpm,
      edge,
      monitor,
      logger,
      childrenPerTask: options.childrenPerTask ?? 4,
      readinessTimeoutMs: options.readinessTimeoutMs ?? 60_000,
      emit,
      probe: (id, host) => probe(id, host),
    };

    const statusOf = (s: Supervised, name = s.name): ComponentHealth => {
      const st = s.status();
      // By the PID we supervise, not by whoever answers on the port (supervisor.ts problem()).
      const problem = s.problem();
      return {
        name,
        status: problem ? 'down' : st.state === 'running' ? 'ok' : st.state === 'stopped' ? 'down' : 'degraded',
        restarts: st.restarts,
        detail: `pid ${st.pid ?? '-'}, ${st.state}${problem ? `: ${problem}` : ''}${st.lastExit ? `, last exit: ${st.lastExit}` : ''}`,
      };
    };

    let stopped = false;
    let basicAuthRotation: Promise<unknown> = Promise.resolve();
    const runtime: LocalRuntime = {
      kind: 'local',
      edgeUrl: `http://${edgeHost.includes(':') ? `[${edgeHost}]` : edgeHost}:${config.edgePort}`,
      layout,
      basicAuth,
      database: db,
      faults,
      config,
      edge,
      certificates: tls?.manager ?? null,
      tenantSocket: (id) => join(layout.phpFpmRun, `${names.serviceName(config.env, safeTenantId(id))}.sock`),
      async tenantOwner(id) {
        if (!isRoot) return null;
        const ids = await lookupUser(tenantUnixUser(instanceId, id));
        if (!ids) throw new Error(`Unix user of ${id} is missing`);
        return { ...ids, webGid: web!.gid };
      },
      tenantUser: (id) => (isRoot ? tenantUnixUser(instanceId, id) : null),
      tenantPaths: (id) => tenantPaths(layout, id),
      probe: (id, host) => probe(id, host),
      checkTenantsNow: () => monitor.tick(),
      checkDiskQuotasNow: () => diskQuotas.check(),
      children: () => [...(db.supervised ? [db.supervised] : []), ...phpFpm.allMasters(), edge.supervised],
      phpFpm,
      provisionSteps: (spec) => provisionSteps(ctx, spec),
      updateSteps: (previous, next) => updateSteps(ctx, previous, next),
      deprovisionSteps: (spec, mode) => deprovisionSteps(ctx, spec, mode),
      rotateDatabasePassword: (id, progress) => rotateDatabasePassword(ctx, id, progress),
      // One at a time: requests for it come through any tenant's lane.
      rotateEdgeBasicAuth(graceSeconds, progress) {
        const next = basicAuthRotation.then(() => rotateEdgeBasicAuth({ env: config.env, secrets, basicAuth, files: edge.basicAuthFiles, now: Date.now }, graceSeconds * 1000, progress));
        basicAuthRotation = next.catch(() => undefined);
        return next;
      },
      listOrphans: (live) => listOrphans(ctx, live),
      removeOrphan: (orphan, live) => removeOrphan(ctx, orphan, live),
      listLeftoverFiles: () => listLeftoverFiles({ dataDir: ctx.config.dataDir, layout: ctx.layout }, Date.now()),
      listSiteLeftovers: (live) => listSiteLeftovers(ctx, live),
      removeSiteLeftover: (item, live) => removeSiteLeftover(ctx, item, live),
      removeLeftoverFile: (file) => removeLeftoverFile({ dataDir: ctx.config.dataDir, layout: ctx.layout }, file, Date.now()),
      async health() {
        const out: ComponentHealth[] = [];
        if (db.supervised) out.push(statusOf(db.supervised));
        else {
          const ok = await db.sql('SELECT 1;').then(() => true, () => false);
          out.push({ name: 'mysql-external', status: ok ? 'ok' : 'down', detail: `${db.tenantHost.host}:${db.tenantHost.port}` });
        }
        for (const m of phpFpm.masters()) out.push(statusOf(m));
        out.push(statusOf(edge.supervised));
        if (tls) {
          out.push(await tls.manager.health());
          // The certificates' gauges for the alarms (expiry, failed issuance): health() runs before every evaluation.
          if (options.metrics) await refreshCertificateGauges(tls.manager, options.metrics);
        }
        const unhealthy = [...monitor.states()].filter(([, s]) => s === 'unhealthy').map(([id]) => id);
        out.push({ name: 'tenants', status: unhealthy.length ? 'degraded' : 'ok', detail: unhealthy.length ? `unhealthy: ${unhealthy.join(', ')}` : `${monitor.states().size} watched` });
        return out;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        monitor.stop();
        await diskQuotas.stop();
        await tls?.manager.stop();
        // Edge first (no new requests), then PHP, then the database.
        await purgeServer.stop();
        await edge.stop();
        await phpFpm.stop();
        await db.stop();
        reaper.stop();
      },
    };
    return runtime;
  } catch (e) {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    reaper.stop();
    if (e instanceof StartupError) throw e;
    const logs = [layout.mariadbErrorLog, join(layout.edgeLogs, 'error.log'), join(layout.phpFpmDir, 'shard-*.log')].join(', ');
    throw new StartupError(`the local runtime did not start: ${errorMessage(e)}`, `read ${logs}; \`bbws setup\` installs what is missing`, { cause: e });
  }
}
