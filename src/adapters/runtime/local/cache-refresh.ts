/**
 * A purge's refresh (page-cache.ts): asks the edge for the page of a cache key again, as an
 * anonymous visitor would (same scheme, Host header and URI, no cookies), with the
 * `X-BBWS-Refresh` token, so that nginx renders it anew and stores it over the cached copy
 * (render-nginx-cache.ts). The answer's body is read and dropped; what counts is the file nginx
 * writes. HTTPS keys go to the edge's HTTPS port with the host as SNI (our own nginx on this
 * host: its certificate is not checked, nothing secret comes back); without an HTTPS listener an
 * https key came through a proxy in front, and goes to the HTTP port with `X-Forwarded-Proto`.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { safeSecretToken } from './escape.js';
import { parseCacheKey } from './page-cache.js';
import { REFRESH_HEADER } from './render-nginx-cache.js';

export interface CacheRefreshOptions {
  /** Where this host reaches the edge (a wildcard listen address already mapped to loopback). */
  connectHost: string;
  httpPort: number;
  httpsPort: number | null;
  token: string;
  /** The edge's basic auth, if any (sent as a visitor would). */
  basicAuth: { user: string; password: string } | null;
  /** Default 3 s: past it the purge deletes the page instead (a tenant whose PHP workers are all busy). */
  timeoutMs?: number;
}

export function createCacheRefresher(o: CacheRefreshOptions): (key: string) => Promise<void> {
  const token = safeSecretToken(o.token);
  const timeoutMs = o.timeoutMs ?? 3_000;
  return (key) =>
    new Promise<void>((resolve, reject) => {
      const k = parseCacheKey(key);
      if (!k || k.method !== 'GET') return reject(new Error('only GET pages are refreshed'));
      const headers: Record<string, string> = { Host: `${k.host}${k.port}`, [REFRESH_HEADER]: token };
      if (o.basicAuth) headers.Authorization = `Basic ${Buffer.from(`${o.basicAuth.user}:${o.basicAuth.password}`).toString('base64')}`;
      const tls = k.scheme === 'https' && o.httpsPort !== null;
      if (k.scheme === 'https' && !tls) headers['X-Forwarded-Proto'] = 'https';
      const done = (res: IncomingMessage) => {
        res.resume();
        res.once('end', () => resolve());
        res.once('error', reject);
      };
      const common = { host: o.connectHost, path: k.uri, method: 'GET', headers, agent: false as const };
      const req = tls
        ? httpsRequest({ ...common, port: o.httpsPort!, servername: k.host, rejectUnauthorized: false }, done)
        : httpRequest({ ...common, port: o.httpPort }, done);
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`refresh of ${k.host}${k.uri} timed out`)));
      req.once('error', reject);
      req.end();
    });
}
