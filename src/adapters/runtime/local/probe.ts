/**
 * The readiness / health probe: `GET /` through the real edge route, with the environment's
 * basic auth, exactly as a visitor would reach the tenant. Ready means 200, or 302 to
 * `/wp-admin/install.php` (a fresh WordPress, seed 003 "Validation").
 *
 * Once the host has a certificate the edge answers plain HTTP with a 301 to HTTPS
 * (render-nginx-tls.ts): the probe follows that one redirect to the same host, as a browser would,
 * over the same edge address. It does not judge the certificate (the certificate manager does,
 * `bbws certs list`): a tenant is up when WordPress answers, whichever CA signed its certificate.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ProbeTarget {
  edgePort: number;
  /** Address of the edge (default 127.0.0.1). */
  edgeHost?: string;
  hostname: string;
  basicAuth: { user: string; password: string } | null;
}

export interface ProbeResult {
  ok: boolean;
  status: number;
  location?: string;
  error?: string;
}

function readyAt(path: string, status: number): boolean {
  return status === 200 || (status === 302 && path.endsWith('/wp-admin/install.php'));
}

/** The HTTPS URL of the edge's own HTTP → HTTPS redirect for `hostname`, else null. */
function httpsRedirect(hostname: string, status: number, location: URL | null): URL | null {
  return status === 301 && location?.protocol === 'https:' && location.hostname === hostname ? location : null;
}

export function probeTenant(t: ProbeTarget, timeoutMs = 10_000): Promise<ProbeResult> {
  const headers: Record<string, string> = { Host: t.hostname, 'User-Agent': 'bbws-probe' };
  if (t.basicAuth) headers.Authorization = `Basic ${Buffer.from(`${t.basicAuth.user}:${t.basicAuth.password}`).toString('base64')}`;
  const once = (tls: URL | null): Promise<ProbeResult> =>
    new Promise((resolve) => {
      const host = t.edgeHost ?? '127.0.0.1';
      const options = { host, path: '/', method: 'GET', headers, timeout: timeoutMs };
      const onResponse = (res: import('node:http').IncomingMessage) => {
        res.resume();
        const status = res.statusCode ?? 0;
        const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
        let url: URL | null = null;
        try {
          url = location ? new URL(location, 'http://x') : null;
        } catch {
          /* unparsable Location: not ready */
        }
        const next = tls ? null : httpsRedirect(t.hostname, status, url);
        if (next) return void once(next).then(resolve);
        resolve({ ok: readyAt(url?.pathname ?? '', status), status, location });
      };
      const req = tls
        ? httpsRequest({ ...options, port: Number(tls.port || 443), servername: t.hostname, rejectUnauthorized: false, headers: { ...headers, Host: tls.host } }, onResponse)
        : httpRequest({ ...options, port: t.edgePort }, onResponse);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve({ ok: false, status: 0, error: e.message }));
      req.end();
    });
  return once(null);
}
