/**
 * The purge's refresh request (cache-refresh.ts) against real HTTP and HTTPS listeners on
 * loopback standing in for the edge: what it sends for a cache key (Host with the key's port,
 * SNI, the token, the URI, X-Forwarded-Proto when there is no HTTPS listener), and that it fails
 * on a timeout. nginx's side (bypass + store) is test/integration/page-cache.test.ts.
 */
import { createServer as createHttp, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createCacheRefresher } from '../../src/adapters/runtime/local/cache-refresh.js';
import { createCaMaterial, loadLocalCa } from '../../src/adapters/tls/local-ca.js';

const TOKEN = 'unit-test-refresh-token-0123456789';
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
  sni?: string;
}

async function listen(server: Server, seen: Seen[], delayMs = 0): Promise<number> {
  server.on('request', (req, res) => {
    seen.push({ url: req.url!, headers: req.headers, sni: (req.socket as TLSSocket).servername || undefined });
    setTimeout(() => res.end('<html>page</html>'), delayMs);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('cache refresh requests', () => {
  it('asks the edge for the key as a visitor would, with the token: HTTP, HTTPS with SNI, https behind a proxy', async () => {
    const ca = await loadLocalCa(await createCaMaterial('unit CA', new Date()));
    const leaf = await ca.issue(['one.localhost'], new Date());
    const seenHttp: Seen[] = [];
    const seenHttps: Seen[] = [];
    const httpPort = await listen(createHttp(), seenHttp);
    const httpsPort = await listen(createHttps({ cert: leaf.certificatePem, key: leaf.keyPem }), seenHttps);
    const refresh = createCacheRefresher({ connectHost: '127.0.0.1', httpPort, httpsPort, token: TOKEN, basicAuth: { user: 'u', password: 'p' } });
    await refresh('GET|http://one.localhost:8088/blog/?page=2');
    await refresh('GET|https://one.localhost/');
    expect(seenHttp).toHaveLength(1);
    expect(seenHttp[0]).toMatchObject({ url: '/blog/?page=2', headers: { host: 'one.localhost:8088', 'x-bbws-refresh': TOKEN, authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } });
    expect(seenHttp[0]!.headers.cookie).toBeUndefined();
    expect(seenHttp[0]!.headers['x-forwarded-proto']).toBeUndefined();
    expect(seenHttps).toEqual([expect.objectContaining({ url: '/', sni: 'one.localhost', headers: expect.objectContaining({ host: 'one.localhost', 'x-bbws-refresh': TOKEN }) })]);

    // No HTTPS listener: an https key came through a TLS proxy in front, and is asked for as such.
    const behindProxy = createCacheRefresher({ connectHost: '127.0.0.1', httpPort, httpsPort: null, token: TOKEN, basicAuth: null });
    await behindProxy('GET|https://one.localhost/');
    expect(seenHttp[1]!.headers).toMatchObject({ host: 'one.localhost', 'x-forwarded-proto': 'https', 'x-bbws-refresh': TOKEN });
    expect(seenHttp[1]!.headers.authorization).toBeUndefined();
  });

  it('refuses what is not a GET page and fails past its timeout (the purge then deletes the page)', async () => {
    const seen: Seen[] = [];
    const httpPort = await listen(createHttp(), seen, 500);
    const refresh = createCacheRefresher({ connectHost: '127.0.0.1', httpPort, httpsPort: null, token: TOKEN, basicAuth: null, timeoutMs: 100 });
    await expect(refresh('HEAD|http://one.localhost/')).rejects.toThrow(/only GET/);
    await expect(refresh('not a key')).rejects.toThrow(/only GET/);
    await expect(refresh('GET|http://one.localhost/slow')).rejects.toThrow(/timed out/);
    expect(() => createCacheRefresher({ connectHost: '127.0.0.1', httpPort, httpsPort: null, token: 'short', basicAuth: null })).toThrow();
  });
});
