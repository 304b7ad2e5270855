/**
 * The HTTPS part of the edge config: golden file, and a real nginx that accepts it (`nginx -t`)
 * and serves a local-CA certificate chosen by SNI, redirects plain HTTP once a certificate file
 * exists, leaves ACME challenges on HTTP, and sends HSTS over HTTPS only.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderEdgeConfig } from '../../src/adapters/runtime/local/render-nginx.js';
import { renderHstsHeader, renderTlsHttp } from '../../src/adapters/runtime/local/render-nginx-tls.js';
import { renderLimitsServer } from '../../src/adapters/runtime/local/render-nginx-limits.js';
import { freePort } from '../../src/adapters/runtime/local/mariadb.js';
import { createCaMaterial, loadLocalCa } from '../../src/adapters/tls/local-ca.js';
import { pollUntil } from '../support/poll.js';
import { edgeGet } from '../support/https-get.js';

const R = '/var/lib/bbws/runtime';
const base = {
  edgeDir: `${R}/edge`,
  routesDir: `${R}/edge/routes`,
  socketsDir: `${R}/edge/sockets`,
  suspendedDir: `${R}/edge/suspended`,
  listenAddress: '0.0.0.0',
  port: 8088,
  workerUser: { user: 'bw1a2b-web', group: 'bw1a2b-web' },
  basicAuth: null,
  workerProcesses: 2,
  mimeTypesFile: '/etc/nginx/mime.types',
  wordpressCore: '/usr/share/wordpress',
};
const tls = { httpsPort: 8443, certsDir: `${R}/edge/tls`, challengeDir: `${R}/edge/acme-challenge`, hsts: true };

describe('edge TLS config (golden file)', () => {
  it('prod: HTTPS listener, certificate by SNI, redirect, HSTS, challenges', async () => {
    await expect(renderEdgeConfig({ ...base, tls })).toMatchFileSnapshot('../fixtures/local-runtime/nginx-prod-tls.conf');
  });
  it('HSTS only when asked (prod), and only over HTTPS', () => {
    expect(renderTlsHttp({ ...tls, hsts: false })).not.toContain('max-age');
    expect(renderTlsHttp(tls)).toMatch(/https "max-age=31536000";\n\s+default "";/);
    // The 429 answer sets headers of its own, so it repeats HSTS (nginx inherits none there).
    expect(renderLimitsServer(renderHstsHeader(tls))).toMatch(/location @bbws_limited \{[^}]*Strict-Transport-Security \$bbws_hsts always;/);
    expect(renderLimitsServer(renderHstsHeader(null))).not.toContain('Strict-Transport-Security');
  });
  it('refuses unsafe paths and ports', () => {
    expect(() => renderEdgeConfig({ ...base, tls: { ...tls, certsDir: '/x; include /etc/shadow' } })).toThrow(/unsafe path/);
    expect(() => renderEdgeConfig({ ...base, tls: { ...tls, httpsPort: 70000 } })).toThrow(/unsafe port/);
  });
});

/** GET `url` (http or https, on 127.0.0.1) with SNI and Host `host`. */
function get(url: string, host: string, ca?: string) {
  const u = new URL(url);
  return edgeGet({ port: Number(u.port), host, path: u.pathname + u.search, https: u.protocol === 'https:', ca, headers: { host } });
}

describe('edge TLS on a real nginx', () => {
  let dir: string;
  let nginx: ReturnType<typeof spawn> | null = null;
  let httpPort: number;
  let httpsPort: number;
  let caPem: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bbws-tls-nginx-'));
    for (const d of ['routes', 'sockets', 'suspended', 'logs', 'tmp', 'tls', 'acme-challenge', 'www/acme']) await mkdir(join(dir, d), { recursive: true });
    await writeFile(join(dir, 'www/acme/index.html'), 'hello acme\n');
    await symlink(join(dir, 'www/acme'), join(dir, 'routes/acme.wpdev.localhost'));
    await symlink(join(dir, 'www/acme'), join(dir, 'routes/plain.wpdev.localhost'));
    const material = await createCaMaterial('bbws test CA', new Date());
    caPem = material.certificatePem;
    const ca = await loadLocalCa(material);
    await writeFile(join(dir, 'suspended/gone.wpdev.localhost'), 'gone\n');
    for (const name of ['acme.wpdev.localhost', 'gone.wpdev.localhost', '_default']) {
      const leaf = await ca.issue([name === '_default' ? 'default.bbws.invalid' : name], new Date());
      await writeFile(join(dir, `tls/${name}.pem`), leaf.certificatePem + leaf.keyPem, { mode: 0o600 });
    }
    await writeFile(join(dir, 'acme-challenge/tok-123'), 'tok-123.thumbprint');
    httpPort = await freePort();
    httpsPort = await freePort();
    const conf = renderEdgeConfig({
      ...base, edgeDir: dir, routesDir: join(dir, 'routes'), socketsDir: join(dir, 'sockets'), suspendedDir: join(dir, 'suspended'), listenAddress: '127.0.0.1', port: httpPort, workerProcesses: 1,
      // Workers read certificates at handshake time: as root they would run as nobody, who cannot enter the temp dir.
      workerUser: process.getuid?.() === 0 ? { user: 'root', group: 'root' } : null,
      tls: { httpsPort, certsDir: join(dir, 'tls'), challengeDir: join(dir, 'acme-challenge'), hsts: true },
    });
    await writeFile(join(dir, 'nginx.conf'), conf);
    execFileSync('nginx', ['-t', '-q', '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'pipe' });
    nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    await pollUntil('nginx', () => get(`http://127.0.0.1:${httpPort}/`, 'plain.wpdev.localhost').then(() => true, () => false), 10_000, 50);
  });
  afterAll(async () => {
    if (nginx?.pid) {
      nginx.kill('SIGQUIT');
      await new Promise((r) => nginx!.once('exit', r));
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the SNI name’s certificate, signed by the local CA, with HSTS', async () => {
    const a = await get(`https://127.0.0.1:${httpsPort}/`, 'acme.wpdev.localhost', caPem);
    expect(a.status).toBe(200);
    expect(a.body).toBe('hello acme\n');
    expect(a.issuer).toBe('bbws test CA');
    expect(a.headers['strict-transport-security']).toBe('max-age=31536000');
  });
  it('sends HSTS on the pages that set headers of their own too (suspended site)', async () => {
    const a = await get(`https://127.0.0.1:${httpsPort}/`, 'gone.wpdev.localhost', caPem);
    expect(a.status).toBe(503);
    expect(a.headers['retry-after']).toBe('3600');
    expect(a.headers['strict-transport-security']).toBe('max-age=31536000');
  });
  it('redirects HTTP to HTTPS once the host has a certificate, without HSTS on HTTP', async () => {
    const a = await get(`http://127.0.0.1:${httpPort}/a?b=1`, 'acme.wpdev.localhost');
    expect(a.status).toBe(301);
    expect(a.headers.location).toBe(`https://acme.wpdev.localhost:${httpsPort}/a?b=1`);
    expect(a.headers['strict-transport-security']).toBeUndefined();
  });
  it('keeps serving HTTP to a host without a certificate', async () => {
    const a = await get(`http://127.0.0.1:${httpPort}/`, 'plain.wpdev.localhost');
    expect(a.status).toBe(200);
  });
  it('answers ACME HTTP-01 challenges over HTTP for routed hosts, even with a certificate', async () => {
    const a = await get(`http://127.0.0.1:${httpPort}/.well-known/acme-challenge/tok-123`, 'acme.wpdev.localhost');
    expect(a.status).toBe(200);
    expect(a.body).toBe('tok-123.thumbprint');
    expect((await get(`http://127.0.0.1:${httpPort}/.well-known/acme-challenge/tok-123`, 'unrouted.example.com')).status).toBe(404);
    // The challenge alias leads nowhere else: not to the certificates beside it.
    for (const path of ['/.well-known/acme-challenge/../tls/acme.wpdev.localhost.pem', '/.well-known/acme-challenge/..%2ftls%2facme.wpdev.localhost.pem', '/.well-known/acme-challenge%2f..%2f..%2ftls%2facme.wpdev.localhost.pem']) {
      const a = await get(`http://127.0.0.1:${httpPort}${path}`, 'plain.wpdev.localhost');
      expect(a.body, path).not.toContain('PRIVATE KEY');
      expect([400, 403, 404], path).toContain(a.status);
    }
  });
  it('refuses TLS 1.1 (Mozilla intermediate: 1.2 and 1.3 only)', () => {
    const out = (() => {
      try {
        return execFileSync('openssl', ['s_client', '-connect', `127.0.0.1:${httpsPort}`, '-servername', 'acme.wpdev.localhost', '-tls1_1'], { input: '', stdio: 'pipe' }).toString();
      } catch (e) {
        return String((e as { stderr?: Buffer }).stderr ?? e);
      }
    })();
    expect(out).not.toMatch(/Protocol\s*:\s*TLSv1\.1/);
  });
});

describe('wp-config.php behind the HTTPS edge (run by PHP)', () => {
  const run = async (server: Record<string, string>, forceSslAdmin: boolean): Promise<{ home: string; forceSslAdmin: boolean; https: string }> => {
    const { renderWpConfig, SALT_KEYS } = await import('../../src/adapters/runtime/local/render-wp-config.js');
    const dir = await mkdtemp(join(tmpdir(), 'bbws-wpconfig-https-'));
    try {
      const salts = Object.fromEntries(SALT_KEYS.map((k) => [k, 'x'.repeat(64)])) as Record<(typeof SALT_KEYS)[number], string>;
      await writeFile(join(dir, 'sites.json'), JSON.stringify({ 'shop.example.com': { id: 'abcdefghij', home: 'http://shop.example.com:8088' } }));
      await writeFile(join(dir, 'wp-config.php'), renderWpConfig({ dbName: 'a', dbUser: 'b', dbPassword: 'c', dbHost: 'd', contentDir: dir, salts, sitesFile: join(dir, 'sites.json'), https: { port: 8443, forceSslAdmin } }));
      await writeFile(join(dir, 'wp-settings.php'), '<?php\n');
      const prelude = `$_SERVER = array_merge($_SERVER, json_decode(${JSON.stringify(JSON.stringify(server))}, true)); define('ABSPATH', ${JSON.stringify(`${dir}/`)}); require ${JSON.stringify(join(dir, 'wp-config.php'))}; echo json_encode(array('home' => WP_HOME, 'forceSslAdmin' => defined('FORCE_SSL_ADMIN'), 'https' => isset($_SERVER['HTTPS']) ? $_SERVER['HTTPS'] : ''));`;
      return JSON.parse(execFileSync('php', ['-n', '-r', prelude]).toString());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  it('over HTTPS: https home on the HTTPS port, $_SERVER[HTTPS] on, FORCE_SSL_ADMIN (sit, prod)', async () => {
    expect(await run({ HTTP_HOST: 'shop.example.com:8443', HTTPS: 'on', HTTP_X_FORWARDED_PROTO: 'https' }, true)).toEqual({ home: 'https://shop.example.com:8443', forceSslAdmin: true, https: 'on' });
    expect(await run({ HTTP_HOST: 'shop.example.com:8443', HTTPS: 'on', HTTP_X_FORWARDED_PROTO: 'https' }, false)).toMatchObject({ forceSslAdmin: false });
  });
  it('over plain HTTP (no certificate yet): http home, no FORCE_SSL_ADMIN that would send wp-admin nowhere', async () => {
    expect(await run({ HTTP_HOST: 'shop.example.com:8088', HTTP_X_FORWARDED_PROTO: 'http' }, true)).toEqual({ home: 'http://shop.example.com:8088', forceSslAdmin: false, https: '' });
  });
});
