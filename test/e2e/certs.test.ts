/**
 * HTTPS on the whole platform in PROD with `--tls auto` (local names: the local CA): a new
 * tenant is served over HTTPS with HSTS, plain HTTP redirects, and `bbws certs list|renew|ca` show
 * and act on the certificates (human and --json); bad names are 4xx with stable codes. With
 * `--tls off` the same commands say TLS is off.
 */
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaMaterial, loadLocalCa } from '../../src/adapters/tls/local-ca.js';
import { freePort } from '../../src/adapters/runtime/local/mariadb.js';
import type { LocalRuntime } from '../../src/adapters/runtime/local/local-runtime.js';
import { createEdgeFiles } from '../../src/adapters/tls/edge-files.js';
import { bbws, STACK_TRACE } from '../support/cli-process.js';
import { edgeClient } from '../support/edge-client.js';
import { edgeGet } from '../support/https-get.js';
import { startLocalPlatform, type LocalPlatform } from '../support/platform-local-harness.js';

const httpsGet = (port: number, host: string, ca: string, auth: string) => edgeGet({ port, host, ca, headers: { authorization: auth } });

describe('HTTPS and bbws certs in PROD (end to end)', () => {
  let p: LocalPlatform;
  let httpsPort: number;
  const host = 'secure.wpprod.localhost';
  const cli = (...args: string[]) => bbws(...args, '--data-dir', p.dataDir);

  beforeAll(async () => {
    httpsPort = await freePort();
    p = await startLocalPlatform({ BBWS_ENV: 'prod', BBWS_TLS: 'auto', BBWS_HTTPS_PORT: String(httpsPort) });
    const created = await p.api('POST', '/v1.0/tenants', { tenantName: 'secure' });
    expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
  }, 180_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('serves the tenant over HTTPS with the local CA’s certificate and HSTS; HTTP redirects', async () => {
    const listed = await p.waitFor('certificate', async () => {
      const r = await cli('--json', 'certs', 'list');
      const items = r.code === 0 ? (JSON.parse(r.stdout).items as Array<{ name: string; status: string; serialNumber: string }>) : [];
      return items.find((c) => c.name === host && c.status === 'valid');
    }, 20_000);
    const ca = await cli('certs', 'ca');
    expect(ca.code, ca.stderr).toBe(0);
    expect(ca.stdout).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const creds = JSON.parse((await cli('--json', 'edge', 'basic-auth')).stdout);
    const auth = `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}`;
    const a = await httpsGet(httpsPort, host, ca.stdout, auth);
    expect([200, 302]).toContain(a.status);
    expect(a.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(a.serial.toLowerCase()).toBe(listed.serialNumber.toLowerCase());
    const plain = await edgeClient(p.edgePort, host).get('/');
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`https://${host}:${httpsPort}/`);
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    // ACME's HTTP-01 challenges answer without basic auth (auth_basic and auth_request off there).
    const runtime = p.platform.runtime as LocalRuntime;
    const edgeFiles = createEdgeFiles({ certsDir: runtime.layout.edgeTls, challengeDir: runtime.layout.edgeAcmeChallenge, webGid: (await runtime.tenantOwner('secure'))?.webGid ?? null });
    await edgeFiles.writeChallenge('tokenE2E_0123456789abcdef', 'tokenE2E_0123456789abcdef.thumb');
    const challenge = await edgeClient(p.edgePort, host).get('/.well-known/acme-challenge/tokenE2E_0123456789abcdef');
    expect([challenge.status, challenge.text]).toEqual([200, 'tokenE2E_0123456789abcdef.thumb']);
    const health = await p.api('GET', '/health');
    expect(health.body.components.find((c: { name: string }) => c.name === 'tls')).toMatchObject({ status: 'ok' });
    // The alarms' gauges (bbws-wp-certificate-expiry, bbws-wp-certificate-issuance-failed), set with the health.
    const text = await (await fetch(`${p.platform.apiUrl}/metrics`)).text();
    expect(Number(/^bbws_certificate_expiry_days_min (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(14);
    expect(text).toMatch(/^bbws_certificates_failed 0$/m);
  }, 60_000);

  it('over HTTPS, a rotated basic-auth password is accepted with the new one during its grace window, then refused', async () => {
    const ca = (await cli('certs', 'ca')).stdout;
    const basic = (password: string) => `Basic ${Buffer.from(`bbws-prod:${password}`).toString('base64')}`;
    const old = JSON.parse((await cli('--json', 'edge', 'basic-auth')).stdout).password as string;
    const r = await cli('secrets', 'rotate', 'secure', '--basic-auth', '--grace', '3');
    expect(r.code, r.stderr).toBe(0);
    const next = JSON.parse((await cli('--json', 'edge', 'basic-auth')).stdout).password as string;
    expect([200, 302]).toContain((await httpsGet(httpsPort, host, ca, basic(next))).status);
    expect([200, 302]).toContain((await httpsGet(httpsPort, host, ca, basic(old))).status);
    expect((await httpsGet(httpsPort, host, ca, basic('wrong'))).status).toBe(401);
    await p.waitFor('old password refused', async () => (await httpsGet(httpsPort, host, ca, basic(old))).status === 401, 20_000);
    expect([200, 302]).toContain((await httpsGet(httpsPort, host, ca, basic(next))).status);
  }, 60_000);

  it('bbws certs list (table) and renew NAME', async () => {
    const table = await cli('certs', 'list');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/NAME\s+SOURCE\s+STATUS\s+ISSUER/);
    expect(table.stdout).toMatch(new RegExp(`${host.replace(/\./g, '\\.')}\\s+local-ca\\s+valid\\s+BBWS prod local CA`));
    const before = JSON.parse((await cli('--json', 'certs', 'list')).stdout).items.find((c: { name: string }) => c.name === host);
    const renewed = await cli('--json', 'certs', 'renew', host);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(JSON.parse(renewed.stdout)).toMatchObject({ name: host, status: 'valid', source: 'local-ca' });
    expect(JSON.parse(renewed.stdout).serialNumber).not.toBe(before.serialNumber);
  }, 60_000);

  it('bbws certs set installs an operator’s certificate (validated), served at once and never renewed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bbws-certs-set-'));
    try {
      const own = await createCaMaterial('Operator Corp CA', new Date());
      const leaf = await (await loadLocalCa(own)).issue([host], new Date());
      await writeFile(join(dir, 'chain.pem'), leaf.certificatePem); // leaf, then the operator's root
      await writeFile(join(dir, 'key.pem'), leaf.keyPem, { mode: 0o600 });
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await writeFile(join(dir, 'other.pem'), other, { mode: 0o600 });
      const wrong = await cli('certs', 'set', host, '--cert', join(dir, 'chain.pem'), '--key', join(dir, 'other.pem'));
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toContain('TLS_KEY_MISMATCH');
      const set = await cli('--json', 'certs', 'set', host, '--cert', join(dir, 'chain.pem'), '--key', join(dir, 'key.pem'));
      expect(set.code, set.stderr).toBe(0);
      expect(JSON.parse(set.stdout)).toMatchObject({ name: host, source: 'manual', status: 'valid', renewAt: null });
      const creds = JSON.parse((await cli('--json', 'edge', 'basic-auth')).stdout);
      const served = await httpsGet(httpsPort, host, own.certificatePem, `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}`);
      expect(served.serial.toLowerCase()).toBe(new X509Certificate(leaf.certificatePem).serialNumber.toLowerCase());
      const renew = await p.api('POST', `/v1.0/admin/certificates/${host}/renew`);
      expect(renew.status).toBe(409);
      const listed = await p.api('GET', '/v1.0/admin/certificates');
      expect(JSON.stringify(listed.body)).not.toContain('PRIVATE KEY');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('unknown and hostile names are 4xx with a stable code, no stack trace', async () => {
    const unknown = await p.api('POST', '/v1.0/admin/certificates/nobody.example.com/renew');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('CERTIFICATE_NOT_FOUND');
    const hostile = await p.api('POST', `/v1.0/admin/certificates/${encodeURIComponent('../../etc/passwd')}/renew`);
    expect(hostile.status).toBe(400);
    const out = await cli('certs', 'renew', 'nobody.example.com');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('bbws certs list');
    expect(out.stderr).not.toMatch(STACK_TRACE);
    const tenantToken = await p.token('tenant-admin', 'secure');
    expect((await p.api('GET', '/v1.0/admin/certificates', undefined, tenantToken)).status).toBe(403);
  }, 60_000);
});

describe('bbws certs with --tls off', () => {
  let p: LocalPlatform;
  beforeAll(async () => {
    p = await startLocalPlatform({});
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('says that TLS is off and how to turn it on', async () => {
    const r = await p.api('GET', '/v1.0/admin/certificates');
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('TLS_DISABLED');
    const out = await bbws('certs', 'list', '--data-dir', p.dataDir);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('--tls auto');
  }, 60_000);
});
