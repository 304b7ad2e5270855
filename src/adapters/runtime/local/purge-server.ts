/**
 * Where the cache mu-plugin (render-cache-plugin.ts) asks for a purge when content changes: a Unix
 * socket (`<runtime>/purge/purge.sock`, 0666) served by bbws. One JSON line in, one out:
 * `{"tenant","key","host","paths"?}` → `{"ok":true,"purged":n}` | `{"ok":false,"error"}`.
 *
 * Any local process can connect, so the request proves who sends it: `key` must equal the
 * tenant's purge key (`tenants/<t>/cache-purge.key`, 0640 root:<tenant group>, so only that
 * tenant's PHP reads it), and `host` must route to that tenant. What is purged is that host and
 * its siblings (the other names of the same site, or of the tenant's own instance): a tenant can
 * purge its own pages, never a neighbour's.
 */
import { timingSafeEqual } from 'node:crypto';
import { chmod, readFile, readlink, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../../../ports/logger.js';
import { safeHostname, safeTenantId } from './escape.js';
import { tenantPaths, type Layout } from './layout.js';
import type { Edge } from './nginx.js';
import { purgeKeyFile, sitesStateFile } from './tenant-files.js';

const MAX_LINE = 16_384;
const KEY = /^[A-Za-z0-9_-]{32}$/;

export interface PurgeServer {
  stop(): Promise<void>;
}

export interface PurgeResult {
  ok: boolean;
  purged?: number;
  error?: string;
}

/** Checks a purge request and returns the host names it may purge (throws with the reason otherwise). */
export async function authorizePurge(layout: Layout, edge: Edge, input: unknown): Promise<{ hosts: string[]; paths?: string[]; tenantId: string }> {
  const r = (input ?? {}) as Record<string, unknown>;
  const tenantId = safeTenantId(r.tenant);
  const host = safeHostname(r.host);
  const paths = r.paths === undefined ? undefined : Array.isArray(r.paths) && r.paths.length <= 100 && r.paths.every((p) => typeof p === 'string') ? (r.paths as string[]) : null;
  if (paths === null) throw new Error('paths must be a list of at most 100 URL paths');
  const tp = tenantPaths(layout, tenantId);
  const expected = await readFile(purgeKeyFile(tp.dir), 'utf8').catch(() => '');
  const given = typeof r.key === 'string' ? r.key : '';
  if (!KEY.test(expected.trim()) || !KEY.test(given) || !timingSafeEqual(Buffer.from(expected.trim()), Buffer.from(given))) throw new Error('wrong purge key');
  const target = await readlink(join(layout.edgeRoutes, host)).catch(() => undefined);
  const sitesWww = join(tp.dir, 'sites-www');
  if (target === tp.www) return { tenantId, hosts: await edge.routesTo(tp.www), paths };
  if (target !== sitesWww) throw new Error(`${host} is not routed to tenant ${tenantId}`);
  const sites = JSON.parse(await readFile(sitesStateFile(tp), 'utf8').catch(() => '[]')) as Array<{ hostnames: string[] }>;
  const site = sites.find((s) => s.hostnames.includes(host));
  // Only names that still route to this tenant: the sites file is the platform's, but be strict.
  const hosts = (await edge.routesTo(sitesWww)).filter((h) => h === host || (site?.hostnames.includes(h) ?? false));
  return { tenantId, hosts, paths };
}

export async function startPurgeServer(o: { layout: Layout; edge: Edge; logger: Logger }): Promise<PurgeServer> {
  const path = o.layout.purgeSocket;
  await rm(path, { force: true });
  const handle = async (line: string): Promise<PurgeResult> => {
    let input: unknown;
    try {
      input = JSON.parse(line);
    } catch {
      return { ok: false, error: 'not JSON' };
    }
    let allowed: Awaited<ReturnType<typeof authorizePurge>>;
    try {
      allowed = await authorizePurge(o.layout, o.edge, input);
    } catch (e) {
      o.logger.warn({ action: 'cache-purge', status: 'REFUSED', err: e instanceof Error ? e.message : String(e) }, 'cache purge refused');
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    const started = performance.now();
    const { purged, refreshed, refreshMissed } = await o.edge.cache.purgeCounted({ hosts: allowed.hosts, paths: allowed.paths });
    // refreshed: pages rendered anew in place (page-cache.ts); the others were deleted.
    o.logger.info({ tenantId: allowed.tenantId, action: 'cache-purge', hosts: allowed.hosts, purged, refreshed, refreshMissed, ms: Math.round(performance.now() - started) }, 'page cache purged');
    return { ok: true, purged };
  };
  const server: Server = createServer((socket: Socket) => {
    let buf = '';
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      if (buf.length > MAX_LINE) return socket.end(`${JSON.stringify({ ok: false, error: 'request too long' })}\n`);
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = '';
      socket.pause();
      void handle(line)
        .catch((e: unknown) => ({ ok: false, error: e instanceof Error ? e.message : String(e) }))
        .then((result) => socket.end(`${JSON.stringify(result)}\n`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  // Every tenant's PHP connects (connect(2) on a Unix socket needs write permission).
  await chmod(path, 0o666);
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        void rm(path, { force: true });
      }),
  };
}
