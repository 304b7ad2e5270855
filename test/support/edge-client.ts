/**
 * A browser-like client of the edge for one host: real HTTP to 127.0.0.1:<edgePort> with a Host
 * header (fetch cannot set Host), a cookie jar, raw bytes back. Used to act as a WordPress user
 * would: log in through wp-login.php, upload through the REST API, fetch what the edge serves.
 */
import { request } from 'node:http';

export interface EdgeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

export interface EdgeClient {
  request(method: string, path: string, options?: { headers?: Record<string, string>; body?: Buffer | string }): Promise<EdgeResponse>;
  get(path: string): Promise<EdgeResponse>;
  /** name → value of the cookies received so far. */
  readonly cookies: Map<string, string>;
}

export function edgeClient(edgePort: number, host: string): EdgeClient {
  const cookies = new Map<string, string>();
  const send = (method: string, path: string, options: { headers?: Record<string, string>; body?: Buffer | string } = {}) =>
    new Promise<EdgeResponse>((resolve, reject) => {
      const headers: Record<string, string> = { Host: edgePort === 80 ? host : `${host}:${edgePort}`, ...options.headers };
      if (cookies.size) headers.Cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const body = options.body === undefined ? undefined : Buffer.from(options.body);
      if (body) headers['Content-Length'] = String(body.length);
      const req = request({ host: '127.0.0.1', port: edgePort, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const set = res.headers['set-cookie'] ?? [];
          for (const line of set) {
            const [pair] = line.split(';');
            const eq = pair!.indexOf('=');
            const name = pair!.slice(0, eq).trim();
            const value = pair!.slice(eq + 1).trim();
            if (value === 'deleted' || /expires=Thu, 01[- ]Jan[- ]1970/i.test(line) || /max-age=0/i.test(line)) cookies.delete(name);
            else cookies.set(name, value);
          }
          const all = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString('utf8') });
        });
      });
      req.on('error', reject);
      req.setTimeout(60_000, () => req.destroy(new Error(`timeout: ${method} ${host}${path}`)));
      req.end(body);
    });
  return { request: send, get: (path) => send('GET', path), cookies };
}

/** Logs in through wp-login.php as a user would (test cookie first), then returns a REST nonce. */
export async function logInToWordPress(client: EdgeClient, user: string, password: string): Promise<string> {
  await client.get('/wp-login.php');
  const form = new URLSearchParams({ log: user, pwd: password, 'wp-submit': 'Log In', testcookie: '1', redirect_to: '/wp-admin/' }).toString();
  const login = await client.request('POST', '/wp-login.php', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
  if (login.status !== 302 || ![...client.cookies.keys()].some((k) => k.startsWith('wordpress_logged_in_')))
    throw new Error(`login as ${user} failed: HTTP ${login.status} ${login.text.slice(0, 300)}`);
  const nonce = await client.get('/wp-admin/admin-ajax.php?action=rest-nonce');
  if (nonce.status !== 200 || !/^[0-9a-f]{10}$/.test(nonce.text.trim())) throw new Error(`no REST nonce: HTTP ${nonce.status} ${nonce.text.slice(0, 200)}`);
  return nonce.text.trim();
}

/** Uploads a file through the WordPress REST API (`POST /wp/v2/media`, cookie auth + nonce). */
export async function uploadMedia(client: EdgeClient, nonce: string, filename: string, type: string, data: Buffer): Promise<{ id: number; source_url: string; media_details: { sizes?: Record<string, { source_url: string }> } }> {
  const r = await client.request('POST', '/?rest_route=/wp/v2/media', {
    headers: { 'Content-Type': type, 'Content-Disposition': `attachment; filename="${filename}"`, 'X-WP-Nonce': nonce },
    body: data,
  });
  if (r.status !== 201) throw new Error(`upload of ${filename}: HTTP ${r.status} ${r.text.slice(0, 500)}`);
  return JSON.parse(r.text);
}
