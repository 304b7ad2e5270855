/**
 * The readiness / health probe: `GET /` through the real edge route, with the environment's
 * basic auth, exactly as a visitor would reach the tenant. Ready means 200, or 302 to
 * `/wp-admin/install.php` (a fresh WordPress, seed 003 "Validation").
 */
import { request } from 'node:http';

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

export function probeTenant(t: ProbeTarget, timeoutMs = 10_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { Host: t.hostname, 'User-Agent': 'bbws-probe' };
    if (t.basicAuth) headers.Authorization = `Basic ${Buffer.from(`${t.basicAuth.user}:${t.basicAuth.password}`).toString('base64')}`;
    const req = request({ host: t.edgeHost ?? '127.0.0.1', port: t.edgePort, path: '/', method: 'GET', headers, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
      let path = '';
      try {
        path = location ? new URL(location, 'http://x').pathname : '';
      } catch {
        /* unparsable Location: not ready */
      }
      resolve({ ok: status === 200 || (status === 302 && path.endsWith('/wp-admin/install.php')), status, location });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ ok: false, status: 0, error: e.message }));
    req.end();
  });
}
