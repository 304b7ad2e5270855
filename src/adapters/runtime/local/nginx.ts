/**
 * The edge: one supervised nginx on `edgePort` and its route table (see render-nginx.ts).
 * Routes are symlinks, created atomically (symlink to a temp name, then rename), so a request
 * sees either the old route or the new one, and no nginx reload is ever needed for a tenant.
 */
import { randomBytes } from 'node:crypto';
import { lstat, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BbwsError } from '../../../domain/errors.js';
import type { Logger } from '../../../ports/logger.js';
import { edgeSuspensions, type EdgeSuspensions } from './edge-suspensions.js';
import { run } from './exec.js';
import { safeHostname, safePath } from './escape.js';
import type { Layout } from './layout.js';
import { renderEdgeConfig } from './render-nginx.js';
import { edgeBasicAuthFiles, type EdgeBasicAuthFiles } from './edge-basic-auth-files.js';
import { createPageCache, type PageCache } from './page-cache.js';
import { createCacheRefresher } from './cache-refresh.js';
import { renderTierMap } from './render-nginx-limits.js';
import { CONNECTION_TIERS, DEFAULT_EDGE_LIMITS, RATE_TIERS } from '../../../domain/tenant-limits.js';
import type { EdgeTlsInput } from './render-nginx-tls.js';
import { listenerIsOwnedBy } from '../../os/processes.js';
import { pidRecordDir } from './leftovers.js';
import { superviseProcess, waitFor, type Supervised } from './supervisor.js';
import { WORDPRESS_CORE } from './tenant-files.js';
import { replaceSymlink, writeFileAtomic } from '../../files/atomic-write.js';

/** The temporary route through which a new php-fpm master is warmed up (local-runtime.ts). */
export const WARM_ROUTE = /^warm-[0-9a-f]{16}\.bbws\.invalid(\.sock)?$/;
/**
 * The scratch route of a restored backup being verified (adapters/backup/scratch-serve.ts):
 * `verify-<scratch id>[-<site id>].bbws.invalid`. `.invalid` is reserved (RFC 2606) and no tenant
 * can claim a name under it (domain/hostnames.ts), so the route never shadows a real one.
 */
export const VERIFY_ROUTE = /^verify-([a-z0-9]{12})(-[a-z0-9]{10})?\.bbws\.invalid(\.sock)?$/;
/** Routes of the platform's own, never a tenant's: no certificate is issued for them, a start removes them. */
export const isScratchRoute = (name: string) => WARM_ROUTE.test(name) || VERIFY_ROUTE.test(name);

export interface EdgeOptions {
  layout: Layout;
  logger: Logger;
  port: number;
  listenAddress: string;
  workerUser: { user: string; group: string } | null;
  /** The web group's id (bbws runs as root): nginx's workers read the basic-auth files. */
  webGid?: number | null;
  /**
   * The edge's basic auth, or null. The object is the one every client of the edge (probe,
   * page-cache refresh) reads at each request: a rotation changes its password in place.
   */
  basicAuth: { user: string; password: string } | null;
  /** Page cache TTL when a site sets none (default 600 s); 0: no page cache at all. */
  cacheTtlSeconds?: number;
  /** Second pass of every purge (page-cache.ts; default 2 s). */
  purgeRepeatMs?: number;
  /** HTTPS beside HTTP (render-nginx-tls.ts); null: HTTP only. */
  tls?: EdgeTlsInput | null;
  /** Told after each new route (the certificate manager issues for it; never awaited). */
  onRouteAdded?: (hostname: string) => void;
}

export interface Edge {
  readonly supervised: Supervised;
  /** The page cache (page-cache.ts). A removed route's pages are purged with it. */
  readonly cache: PageCache;
  /**
   * The tenant's edge request rate and connection limits (render-nginx-limits.ts); null: the
   * defaults. Reloads the edge (graceful) only when the tenant's tiers change. Idempotent.
   */
  setTenantLimits(tenantId: string, limits: { requestsPerSecond: number; connections: number } | null): Promise<void>;
  /** Points `hostname` at a tenant. Throws HOSTNAME_TAKEN when it routes to another tenant. */
  addRoute(hostname: string, docroot: string, socket: string): Promise<void>;
  /** Removes `hostname` if (and only if) it routes to `docroot`. Idempotent. */
  removeRoute(hostname: string, docroot: string): Promise<void>;
  /** Host names currently routed to `docroot`. */
  routesTo(docroot: string): Promise<string[]>;
  /** Host names answered 503 "suspended" whatever their route (a soft-deleted tenant's). */
  readonly suspensions: EdgeSuspensions;
  /** The basic-auth files (edge-basic-auth-files.ts); null when the edge asks for none. */
  readonly basicAuthFiles: EdgeBasicAuthFiles | null;
  stop(): Promise<void>;
}

/** Where this host reaches an edge listening on `listen` (a wildcard address: loopback). */
export function edgeConnectHost(listen: string): string {
  if (listen === '0.0.0.0') return '127.0.0.1';
  if (listen === '[::]') return '::1';
  return listen.replace(/^\[(.*)\]$/, '$1');
}

function tcpAccepts(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, edgeConnectHost(host));
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}

export async function startEdge(o: EdgeOptions): Promise<Edge> {
  // The edge's directories and their modes are laid out by layout.ts (prepareRuntimeTree).
  const { layout } = o;
  const conf = join(layout.edgeDir, 'nginx.conf');
  const basicAuthFiles = o.basicAuth ? edgeBasicAuthFiles({ edgeDir: layout.edgeDir, user: o.basicAuth.user, webGid: o.workerUser ? (o.webGid ?? null) : null }) : null;
  await basicAuthFiles?.init(o.basicAuth!.password);
  // Per-tenant edge limits: the tenants whose tiers are not the default (render-nginx-limits.ts).
  const limitsFile = join(layout.edgeDir, 'limits.json');
  const rateMap = join(layout.edgeDir, 'limits-rate.map');
  const connMap = join(layout.edgeDir, 'limits-conn.map');
  const tenantLimits = new Map<string, { requestsPerSecond: number; connections: number }>(Object.entries(JSON.parse(await readFile(limitsFile, 'utf8').catch(() => '{}')) as Record<string, { requestsPerSecond: number; connections: number }>));
  const writeLimitMaps = async () => {
    const rate = new Map([...tenantLimits].filter(([, l]) => l.requestsPerSecond !== DEFAULT_EDGE_LIMITS.requestsPerSecond).map(([t, l]) => [t, l.requestsPerSecond]));
    const conn = new Map([...tenantLimits].filter(([, l]) => l.connections !== DEFAULT_EDGE_LIMITS.connections).map(([t, l]) => [t, l.connections]));
    await writeFileAtomic(rateMap, renderTierMap(rate, RATE_TIERS));
    await writeFileAtomic(connMap, renderTierMap(conn, CONNECTION_TIERS));
    await writeFileAtomic(limitsFile, JSON.stringify(Object.fromEntries(tenantLimits)));
  };
  await writeLimitMaps();
  // A purge's refresh (cache-refresh.ts): a new token at each start, known to nginx.conf (0710 dir) and to us.
  const refreshToken = randomBytes(24).toString('base64url');
  const text = renderEdgeConfig({
    edgeDir: layout.edgeDir,
    routesDir: layout.edgeRoutes,
    socketsDir: layout.edgeSockets,
    suspendedDir: layout.edgeSuspended,
    listenAddress: o.listenAddress,
    port: o.port,
    workerUser: o.workerUser,
    basicAuth: basicAuthFiles ? { realm: 'BBWS', userFile: basicAuthFiles.userFile, previousUserFile: basicAuthFiles.previousUserFile } : null,
    workerProcesses: 2,
    mimeTypesFile: '/etc/nginx/mime.types',
    wordpressCore: WORDPRESS_CORE,
    cache: o.cacheTtlSeconds === 0 ? null : { cacheDir: layout.edgeCache, cacheOffDir: layout.edgeCacheOff, maxSizeMb: 1024, defaultTtlSeconds: o.cacheTtlSeconds ?? 600, refreshToken },
    limits: { rateMapFile: rateMap, connectionMapFile: connMap, defaultRate: DEFAULT_EDGE_LIMITS.requestsPerSecond, defaultConnections: DEFAULT_EDGE_LIMITS.connections },
    tls: o.tls ?? null,
  });
  const refresh = createCacheRefresher({ connectHost: edgeConnectHost(o.listenAddress), httpPort: o.port, httpsPort: o.tls?.httpsPort ?? null, token: refreshToken, basicAuth: o.basicAuth });
  const cache = createPageCache({ cacheDir: layout.edgeCache, cacheOffDir: layout.edgeCacheOff, repeatAfterMs: o.purgeRepeatMs, refresh: o.cacheTtlSeconds === 0 ? undefined : refresh });
  await writeFile(`${conf}.candidate`, text);
  await run('nginx', ['-t', '-q', '-p', layout.edgeDir, '-c', `${conf}.candidate`]);
  await rename(`${conf}.candidate`, conf);

  const supervised = await superviseProcess(
    {
      name: 'nginx',
      command: 'nginx',
      args: ['-p', layout.edgeDir, '-c', conf, '-g', 'daemon off;'],
      logFile: join(layout.edgeLogs, 'nginx.out'),
      // Ready when the port accepts AND the listening socket is this nginx's: a leftover of a killed
      // run answering on the port is not our edge (leftovers.ts).
      ready: (pid) => waitFor('nginx', async () => {
        await tcpAccepts(o.port, o.listenAddress);
        if (listenerIsOwnedBy(pid, { tcpPort: o.port }) === false) throw new Error(`port ${o.port} is held by another process`);
      }, 30_000, 20),
      owns: (pid) => listenerIsOwnedBy(pid, { tcpPort: o.port }),
      pidDir: pidRecordDir(layout.root),
      stopSignal: 'SIGQUIT',
    },
    o.logger,
  );

  const routeLink = (h: string) => join(layout.edgeRoutes, safeHostname(h));
  const socketLink = (h: string) => join(layout.edgeSockets, `${safeHostname(h)}.sock`);
  const currentTarget = async (h: string) => {
    try {
      return (await lstat(routeLink(h))).isSymbolicLink() ? await readlink(routeLink(h)) : '(not a symlink)';
    } catch {
      return undefined;
    }
  };

  // Reverse index docroot → host names, read from the route table once and then kept in step
  // with addRoute/removeRoute (the only writers). Scanning the table (readdir + a readlink per
  // route) on every provisioning cost 75 ms p50 with 110 tenants on this host (bench).
  const index = new Map<string, Set<string>>();
  // Leftovers of a killed run: a half-made link (`.tmp-`), a php-fpm warm-up route (local-runtime.ts
  // `warm`) or a backup verify's scratch route whose removal never ran (nothing of a run before this
  // start is in flight), with the scratch route's page-cache switch.
  for (const dir of [layout.edgeRoutes, layout.edgeSockets, layout.edgeCacheOff]) {
    for (const name of await readdir(dir)) if (name.includes('.tmp-') || isScratchRoute(name)) await rm(join(dir, name), { force: true });
  }
  for (const name of await readdir(layout.edgeRoutes)) {
    const target = await currentTarget(name).catch(() => undefined);
    if (target && target !== '(not a symlink)') (index.get(target) ?? index.set(target, new Set()).get(target)!).add(name);
  }
  const forget = (hostname: string) => {
    for (const [d, hosts] of index) if (hosts.delete(hostname) && hosts.size === 0) index.delete(d);
  };

  /** A host that no longer routes here must not keep its pages or its switch (a next owner of the name). */
  const dropCache = async (hostname: string) => {
    await cache.setEnabled(hostname, true);
  };

  // One limits change at a time: maps written, `nginx -t`, then a graceful reload (SIGHUP).
  let limitsLock: Promise<unknown> = Promise.resolve();
  const setTenantLimits: Edge['setTenantLimits'] = (tenantId, limits) => {
    const next = limitsLock.then(async () => {
      const before = tenantLimits.get(tenantId);
      const isDefault = !limits || (limits.requestsPerSecond === DEFAULT_EDGE_LIMITS.requestsPerSecond && limits.connections === DEFAULT_EDGE_LIMITS.connections);
      if (isDefault ? before === undefined : before?.requestsPerSecond === limits!.requestsPerSecond && before?.connections === limits!.connections) return;
      if (isDefault) tenantLimits.delete(tenantId);
      else tenantLimits.set(tenantId, { requestsPerSecond: limits!.requestsPerSecond, connections: limits!.connections });
      try {
        await writeLimitMaps();
        await run('nginx', ['-t', '-q', '-p', layout.edgeDir, '-c', conf]);
      } catch (e) {
        if (before) tenantLimits.set(tenantId, before);
        else tenantLimits.delete(tenantId);
        await writeLimitMaps();
        throw e;
      }
      const pid = supervised.status().pid;
      if (pid) process.kill(pid, 'SIGHUP');
      o.logger.info({ tenantId, action: 'edge-limits', limits: limits ?? 'default' }, 'edge limits changed: nginx reloaded');
    });
    limitsLock = next.catch(() => undefined);
    return next;
  };

  return {
    supervised,
    cache,
    setTenantLimits,
    async addRoute(hostname, docroot, socket) {
      safePath(docroot);
      safePath(socket);
      const target = await currentTarget(hostname);
      if (target !== undefined && target !== docroot) throw new BbwsError('HOSTNAME_TAKEN', undefined, { hostname });
      // Socket first: once the route exists, requests for it must find their php-fpm pool.
      await replaceSymlink(socket, socketLink(hostname));
      await replaceSymlink(docroot, routeLink(hostname));
      (index.get(docroot) ?? index.set(docroot, new Set()).get(docroot)!).add(safeHostname(hostname));
      o.onRouteAdded?.(hostname);
    },
    async removeRoute(hostname, docroot) {
      const target = await currentTarget(hostname);
      if (target === undefined) {
        forget(safeHostname(hostname));
        await rm(socketLink(hostname), { force: true });
        return dropCache(hostname);
      }
      if (target !== docroot) return;
      await rm(routeLink(hostname), { force: true });
      await rm(socketLink(hostname), { force: true });
      forget(safeHostname(hostname));
      await dropCache(hostname);
    },
    async routesTo(docroot) {
      return [...(index.get(docroot) ?? [])].sort();
    },
    suspensions: edgeSuspensions(layout.edgeSuspended),
    basicAuthFiles,
    // Part of a bbws stop, which must end within 10 s (SIGTERM): graceful SIGQUIT for 3 s.
    stop: () => {
      cache.stop();
      basicAuthFiles?.stop();
      return supervised.stop(3_000);
    },
  };
}
