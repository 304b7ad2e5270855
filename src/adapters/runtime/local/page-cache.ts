/**
 * The edge's page cache on disk (render-nginx-cache.ts renders nginx's side): purging and the
 * per-host on/off switch. bbws (root) removes cache files itself: Debian's ngx_cache_purge (2.3)
 * purges one exact key per request and has no "every page of this host", and a purge listener
 * inside nginx would be reachable by every tenant's PHP. Removing a file under nginx is safe: its
 * shared-memory node then finds no file and the next request is a MISS that stores a fresh copy.
 *
 * A cache file starts with a binary header and then `\nKEY: <key>\n`; the key is
 * `<method>|<scheme>://<host>[:<port>]<request URI>` (render-nginx-cache.ts). A purge walks the
 * (at most 256, `levels=2`) directories, reads the first few KB of each file and removes those
 * whose host (and, when asked, path) match.
 *
 * **Refresh instead of delete** for the pages visitors ask for first (the homepage, and the paths
 * a purge names; at most `maxRefreshes`), when `refresh` is given (cache-refresh.ts): the edge
 * renders the page anew and stores it over the cached copy (a new file renamed over the old one),
 * and the purge returns only then. Deleting them instead made the next visitor wait for PHP, and
 * every visitor arriving during that render wait on nginx's cache lock, which re-checks every
 * 500 ms: half a second after each content change. If the refresh is not stored (an error, a
 * timeout, an answer nginx does not cache: the file keeps its inode), the file is deleted as before.
 *
 * Race: a request that started before the change and is still in PHP stores its (old) page after
 * the purge. So every purge runs a second time `repeatAfterMs` later (default 2 s), which
 * removes (or refreshes) such late copies.
 */
import { chmod, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { safeHostname, safePath } from './escape.js';

export interface PageCacheOptions {
  cacheDir: string;
  cacheOffDir: string;
  /** Second pass of every purge (see the top of this file); 0: none. */
  repeatAfterMs?: number;
  /** Has the edge render and store the page of a cache key anew (cache-refresh.ts). Absent: purges delete only. */
  refresh?: (key: string) => Promise<void>;
  /** Pages refreshed per purge at most (default 4); other matches are deleted. */
  maxRefreshes?: number;
}

export interface PurgeRequest {
  hosts: string[];
  /** Request URIs (`/path` or `/path?query`); a path without a query also matches its queries. Absent: every page. */
  paths?: string[];
  /** Refresh the homepage and `paths` in place (default true; false: delete only, e.g. a route removed). */
  refresh?: boolean;
}

export interface PurgeCount {
  purged: number;
  /** Of those, rendered anew in place (the others deleted). */
  refreshed: number;
  /** Why a refresh was not stored, when one was not (its error, or "not stored": nginx did not cache the answer). */
  refreshMissed?: string;
}

export interface PageCache {
  /** Removes (the homepage and `paths`: refreshes) the cached pages of `hosts` (every method, scheme and port). Returns how many. */
  purge(request: PurgeRequest): Promise<number>;
  /** The same, saying how many of them were refreshed in place (the rest deleted). */
  purgeCounted(request: PurgeRequest): Promise<PurgeCount>;
  /** Switches a host's page cache on or off (off: bypassed, and its pages are purged). */
  setEnabled(host: string, enabled: boolean): Promise<void>;
  /** Stops pending second passes. */
  stop(): void;
}

const READ_BYTES = 8192;

/** The key of a cache file, parsed (`port`: `:8088` or empty, as in the Host header); null when it is not one of ours. */
export function parseCacheKey(key: string): { method: string; scheme: string; host: string; port: string; uri: string } | null {
  const m = /^([A-Z]+)\|(https?):\/\/([a-z0-9.-]+)(:[0-9]{1,5})?(\/.*)$/.exec(key);
  return m ? { method: m[1]!, scheme: m[2]!, host: m[3]!, port: m[4] ?? '', uri: m[5]! } : null;
}

/** A purge path from a full URL or a path (`/p?q`); refuses anything else. */
export function purgePath(value: string): string {
  let path = value;
  if (/^https?:\/\//i.test(value)) {
    const u = new URL(value);
    path = `${u.pathname}${u.search}`;
  }
  if (!/^\/[\x21-\x7e]{0,2000}$/.test(path)) throw new Error(`not a URL path: ${JSON.stringify(value).slice(0, 80)}`);
  return path;
}

async function readKey(file: string): Promise<string | null> {
  const fh = await open(file, 'r').catch(() => null);
  if (!fh) return null;
  try {
    const buf = Buffer.alloc(READ_BYTES);
    const { bytesRead } = await fh.read(buf, 0, READ_BYTES, 0);
    const text = buf.subarray(0, bytesRead).toString('latin1');
    const at = text.indexOf('\nKEY: ');
    if (at < 0) return null;
    const end = text.indexOf('\n', at + 6);
    return end < 0 ? null : text.slice(at + 6, end);
  } finally {
    await fh.close();
  }
}

export function createPageCache(options: PageCacheOptions): PageCache {
  const cacheDir = safePath(options.cacheDir);
  const offDir = safePath(options.cacheOffDir);
  const repeatAfterMs = options.repeatAfterMs ?? 2_000;
  const maxRefreshes = options.maxRefreshes ?? 4;
  const timers = new Set<NodeJS.Timeout>();

  /** Renders the page anew in place; deletes the file when nginx did not store a new copy. Null: refreshed; else why not. */
  async function refreshOrDelete(file: string, key: string): Promise<string | null> {
    const before = await stat(file).catch(() => null);
    if (!before) return 'gone before the refresh';
    const failed = await options.refresh!(key).then(() => null, (e: unknown) => (e instanceof Error ? e.message : String(e)));
    const after = await stat(file).catch(() => null);
    if (after && after.ino === before.ino) await rm(file, { force: true });
    return after !== null && after.ino !== before.ino ? null : (failed ?? (after ? 'not stored' : 'gone after the refresh'));
  }

  async function purgeOnce(hosts: Set<string>, paths: string[] | undefined, refresh: boolean): Promise<PurgeCount> {
    const matches = (k: ReturnType<typeof parseCacheKey>) => {
      if (!k || !hosts.has(k.host)) return false;
      return !paths || paths.some((p) => k.uri === p || (!p.includes('?') && k.uri.startsWith(`${p}?`)));
    };
    const hot = (k: NonNullable<ReturnType<typeof parseCacheKey>>) => refresh && k.method === 'GET' && (k.uri === '/' || (paths?.includes(k.uri) ?? false));
    let removed = 0;
    const toRefresh: Array<{ file: string; key: string }> = [];
    const dirs = await readdir(cacheDir).catch(() => [] as string[]);
    await Promise.all(
      dirs.map(async (d) => {
        const files = await readdir(join(cacheDir, d)).catch(() => [] as string[]);
        // Names with a dot are nginx's temporary files (use_temp_path=off): not pages yet.
        for (const f of files) {
          if (f.includes('.')) continue;
          const file = join(cacheDir, d, f);
          const key = await readKey(file);
          const k = key === null ? null : parseCacheKey(key);
          if (!matches(k)) continue;
          removed++;
          if (hot(k!) && toRefresh.length < maxRefreshes) toRefresh.push({ file, key: key! });
          else await rm(file, { force: true });
        }
      }),
    );
    const outcomes = await Promise.all(toRefresh.map((r) => refreshOrDelete(r.file, r.key)));
    const missed = outcomes.find((o) => o !== null);
    return { purged: removed, refreshed: outcomes.filter((o) => o === null).length, ...(missed ? { refreshMissed: missed } : {}) };
  }

  const cache: PageCache = {
    async purge(request) {
      return (await cache.purgeCounted(request)).purged;
    },
    async purgeCounted(request) {
      const hosts = new Set(request.hosts.map((h) => safeHostname(h.toLowerCase())));
      if (hosts.size === 0) return { purged: 0, refreshed: 0 };
      const paths = request.paths?.map(purgePath);
      const refresh = options.refresh !== undefined && request.refresh !== false;
      const counted = await purgeOnce(hosts, paths, refresh);
      if (repeatAfterMs > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          void purgeOnce(hosts, paths, refresh).catch(() => undefined);
        }, repeatAfterMs);
        timer.unref();
        timers.add(timer);
      }
      return counted;
    },
    async setEnabled(host, enabled) {
      const flag = join(offDir, safeHostname(host.toLowerCase()));
      if (enabled) await rm(flag, { force: true });
      else {
        // nginx opens the flag (disable_symlinks checks with openat): readable, in a dir only the web group enters.
        await writeFile(flag, '');
        await chmod(flag, 0o644);
      }
      await cache.purge({ hosts: [host], refresh: false });
    },
    stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
  return cache;
}
