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
 * Race: a request that started before the change and is still in PHP stores its (old) page after
 * the purge. So every purge runs a second time `repeatAfterMs` later (default 2 s), which
 * removes such late copies.
 */
import { chmod, open, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { safeHostname, safePath } from './escape.js';

export interface PageCacheOptions {
  cacheDir: string;
  cacheOffDir: string;
  /** Second pass of every purge (see the top of this file); 0: none. */
  repeatAfterMs?: number;
}

export interface PurgeRequest {
  hosts: string[];
  /** Request URIs (`/path` or `/path?query`); a path without a query also matches its queries. Absent: every page. */
  paths?: string[];
}

export interface PageCache {
  /** Removes the cached pages of `hosts` (every method, scheme and port). Returns how many were removed. */
  purge(request: PurgeRequest): Promise<number>;
  /** Switches a host's page cache on or off (off: bypassed, and its pages are purged). */
  setEnabled(host: string, enabled: boolean): Promise<void>;
  /** Stops pending second passes. */
  stop(): void;
}

const READ_BYTES = 8192;

/** The key of a cache file, parsed; null when it is not one of ours. */
export function parseCacheKey(key: string): { method: string; scheme: string; host: string; uri: string } | null {
  const m = /^([A-Z]+)\|(https?):\/\/([a-z0-9.-]+)(?::[0-9]{1,5})?(\/.*)$/.exec(key);
  return m ? { method: m[1]!, scheme: m[2]!, host: m[3]!, uri: m[4]! } : null;
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
  const timers = new Set<NodeJS.Timeout>();

  async function purgeOnce(hosts: Set<string>, paths: string[] | undefined): Promise<number> {
    const matches = (key: string | null) => {
      const k = key === null ? null : parseCacheKey(key);
      if (!k || !hosts.has(k.host)) return false;
      return !paths || paths.some((p) => k.uri === p || (!p.includes('?') && k.uri.startsWith(`${p}?`)));
    };
    let removed = 0;
    const dirs = await readdir(cacheDir).catch(() => [] as string[]);
    await Promise.all(
      dirs.map(async (d) => {
        const files = await readdir(join(cacheDir, d)).catch(() => [] as string[]);
        // Names with a dot are nginx's temporary files (use_temp_path=off): not pages yet.
        for (const f of files) {
          if (f.includes('.')) continue;
          const file = join(cacheDir, d, f);
          if (matches(await readKey(file))) {
            await rm(file, { force: true });
            removed++;
          }
        }
      }),
    );
    return removed;
  }

  return {
    async purge(request) {
      const hosts = new Set(request.hosts.map((h) => safeHostname(h.toLowerCase())));
      if (hosts.size === 0) return 0;
      const paths = request.paths?.map(purgePath);
      const removed = await purgeOnce(hosts, paths);
      if (repeatAfterMs > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          void purgeOnce(hosts, paths).catch(() => undefined);
        }, repeatAfterMs);
        timer.unref();
        timers.add(timer);
      }
      return removed;
    },
    async setEnabled(host, enabled) {
      const flag = join(offDir, safeHostname(host.toLowerCase()));
      if (enabled) await rm(flag, { force: true });
      else {
        // nginx opens the flag (disable_symlinks checks with openat): readable, in a dir only the web group enters.
        await writeFile(flag, '');
        await chmod(flag, 0o644);
      }
      await this.purge({ hosts: [host] });
    },
    stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
