/**
 * HTTPS at the edge against a real ACME CA: Pebble on loopback, names resolved by dnsmasq on
 * loopback to the edge, HTTP-01 answered by the real edge (nginx) of a real local runtime
 * (MariaDB, php-fpm, WordPress). A new tenant is ACTIVE on HTTP and gets its certificate after;
 * renewal at two thirds of the lifetime; revocation when a name leaves the edge; expiry with the CA
 * gone sends the site back to HTTP, visibly (list, health, log). Local names get the local CA's.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/runtime/local/mariadb.js';
import { probeTenant } from '../../src/adapters/runtime/local/probe.js';
import type { CertificateInfo } from '../../src/ports/certificates.js';
import { startDnsmasq, freeUdpPort, type Dnsmasq } from '../support/dnsmasq.js';
import { edgeClient } from '../support/edge-client.js';
import { edgeGet } from '../support/https-get.js';
import { startPebble, type Pebble } from '../support/pebble.js';
import { pollUntil } from '../support/poll.js';
import { runSteps, spec, startTestRuntime, type TestRuntime } from '../support/local-runtime-harness.js';

const isRoot = process.getuid?.() === 0;
const DOMAIN = 'bbws-acme-test.net';

const httpsGet = (port: number, host: string, ca: string[]) => edgeGet({ port, host, ca });

describe.skipIf(!isRoot)('edge certificates from Pebble (ACME HTTP-01 answered by the edge)', () => {
  let dns: Dnsmasq;
  let pebble: Pebble;
  let t: TestRuntime;
  let httpsPort: number;
  let pebbleRoot: string;
  const clock = { offsetMs: 0 };
  const acmeHost = `acme.wpdev.${DOMAIN}`;
  const certs = () => t.runtime.certificates!;
  const infoOf = async (name: string): Promise<CertificateInfo> => (await certs().list()).find((c) => c.name === name)!;

  beforeAll(async () => {
    dns = await startDnsmasq(await freeUdpPort(), {}, { [DOMAIN]: '127.0.0.1' });
    const edgePort = await freePort();
    httpsPort = await freePort();
    pebble = await startPebble({ httpPort: edgePort, dnsServer: dns.server });
    pebbleRoot = await pebble.issuingRoot();
    t = await startTestRuntime(
      'dev',
      { tlsClock: () => Date.now() + clock.offsetMs, tlsSweepIntervalMs: 3_600_000, acmeRetries: 0 },
      { edgePort, baseDomain: DOMAIN, tls: { mode: 'auto', httpsPort, acmeDirectory: pebble.directoryUrl, acmeEmail: 'ops@bbws-acme-test.net', acmeCaFile: pebble.caFile } },
    );
  }, 120_000);

  afterAll(async () => {
    await t?.cleanup();
    await pebble?.stop();
    await dns?.stop();
  }, 60_000);

  it('a new tenant is ACTIVE on HTTP first, then gets a Pebble certificate; WordPress then answers over HTTPS with https links', async () => {
    const started = Date.now();
    await runSteps(t.runtime.provisionSteps(spec('acme', 'dev', 1, ['shop.localhost'])));
    const activeMs = Date.now() - started;
    await pollUntil('acme certificate', async () => (await infoOf(acmeHost))?.status === 'valid', 20_000, 50);
    const info = await infoOf(acmeHost);
    expect(info.source).toBe('acme');
    expect(info.issuer).toMatch(/Pebble/);
    const issued = t.logs.find((l) => l.action === 'TLS_ISSUED' && l.hostname === acmeHost)!;
    expect(issued.durationMs).toBeLessThan(10_000);
    expect(activeMs).toBeGreaterThan(0);

    const a = await httpsGet(httpsPort, acmeHost, [pebbleRoot]);
    expect(a.status).toBe(302);
    // $_SERVER['HTTPS'] reached WordPress: its own redirect is https, on the HTTPS port.
    expect(a.headers.location).toBe(`https://${acmeHost}:${httpsPort}/wp-admin/install.php`);
    expect(a.headers['strict-transport-security']).toBeUndefined(); // dev: no HSTS
    expect(a.serial.toLowerCase()).toBe(info.serialNumber!.toLowerCase());

    const plain = await edgeClient(t.edgePort, acmeHost).get('/some/page?x=1');
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`https://${acmeHost}:${httpsPort}/some/page?x=1`);
    // The key is the web group's to read (nginx's workers, at each handshake), never a tenant's.
    const file = join(t.runtime.layout.edgeTls, `${acmeHost}.pem`);
    const owner = (await t.runtime.tenantOwner('acme'))!;
    expect(((await stat(file)).mode & 0o777).toString(8)).toBe('640');
    expect((await stat(file)).gid).toBe(owner.webGid);
    expect(((await stat(t.runtime.layout.edgeTls)).mode & 0o777).toString(8)).toBe('710');
    expect(() => execFileSync('cat', [file], { uid: owner.uid, gid: owner.gid, stdio: 'pipe' })).toThrow(/Permission denied/);
    // Readiness and health probes go where a visitor goes: through that redirect, to WordPress.
    const probed = await probeTenant({ edgePort: t.edgePort, hostname: acmeHost, basicAuth: null });
    expect(probed).toMatchObject({ ok: true, status: 302, location: `https://${acmeHost}:${httpsPort}/wp-admin/install.php` });
  }, 120_000);

  it('local names get the local CA’s certificate (bbws certs ca)', async () => {
    await pollUntil('local certificate', async () => (await infoOf('shop.localhost'))?.status === 'valid', 10_000, 50);
    const ca = await certs().caCertificate();
    expect(new X509Certificate(ca).ca).toBe(true);
    const a = await httpsGet(httpsPort, 'shop.localhost', [ca]);
    expect(a.issuer).toBe('BBWS dev local CA');
    expect((await infoOf('shop.localhost')).source).toBe('local-ca');
  });

  it('renews at two thirds of the lifetime, and on demand; the edge serves the new certificate without a reload', async () => {
    const before = await infoOf(acmeHost);
    await certs().sweep();
    expect((await infoOf(acmeHost)).serialNumber).toBe(before.serialNumber); // not due yet
    clock.offsetMs = Date.parse(before.renewAt!) - Date.now() + 60_000;
    await certs().sweep();
    const renewed = await infoOf(acmeHost);
    expect(renewed.serialNumber).not.toBe(before.serialNumber);
    expect(renewed.status).toBe('valid');
    expect((await httpsGet(httpsPort, acmeHost, [pebbleRoot])).serial.toLowerCase()).toBe(renewed.serialNumber!.toLowerCase());
    clock.offsetMs = 0;
    const again = await certs().renew(acmeHost);
    expect(again.serialNumber).not.toBe(renewed.serialNumber);
  }, 60_000);

  it('a restart keeps the certificates and the local CA: nothing is issued again', async () => {
    const before = await certs().list();
    const ca = await certs().caCertificate();
    const issued = t.logs.filter((l) => l.action === 'TLS_ISSUED').length;
    await t.restart();
    await certs().sweep();
    expect((await certs().list()).map((c) => [c.name, c.serialNumber])).toEqual(before.map((c) => [c.name, c.serialNumber]));
    expect(await certs().caCertificate()).toBe(ca);
    expect(t.logs.filter((l) => l.action === 'TLS_ISSUED').length).toBe(issued);
    expect((await httpsGet(httpsPort, acmeHost, [pebbleRoot])).status).toBe(302);
  }, 60_000);

  it('revokes the certificate of a name that leaves the edge (tenant deleted)', async () => {
    const betaHost = `beta.wpdev.${DOMAIN}`;
    await runSteps(t.runtime.provisionSteps(spec('beta')));
    await pollUntil('beta certificate', async () => (await infoOf(betaHost))?.status === 'valid', 20_000, 50);
    const serial = (await infoOf(betaHost)).serialNumber!;
    expect(await pebble.isRevoked(serial)).toBe(false);
    await runSteps(t.runtime.deprovisionSteps(spec('beta'), 'hard'));
    await certs().sweep();
    expect(await infoOf(betaHost)).toBeUndefined();
    expect(await pebble.isRevoked(serial)).toBe(true);
    expect(t.logs.some((l) => l.action === 'TLS_REVOKED' && l.hostname === betaHost && l.status === 'OK')).toBe(true);
  }, 120_000);

  it('expired with the CA unreachable: the site goes back to HTTP, and the failure shows in list, health and log', async () => {
    await pebble.stop();
    const current = await infoOf(acmeHost);
    clock.offsetMs = Date.parse(current.notAfter!) - Date.now() + 60_000;
    await certs().sweep();
    const failed = await infoOf(acmeHost);
    expect(failed.status).toBe('failed');
    expect(failed.lastError).toBeTruthy();
    expect(failed.nextAttemptAt).toBeTruthy();
    const health = (await t.runtime.health()).find((c) => c.name === 'tls')!;
    expect(health.status).toBe('degraded');
    expect(health.detail).toContain(acmeHost);
    expect(t.logs.some((l) => l.action === 'TLS_ISSUE_FAILED' && l.hostname === acmeHost)).toBe(true);
    // No redirect to a certificate a browser would refuse: WordPress answers on HTTP.
    const plain = await edgeClient(t.edgePort, acmeHost).get('/');
    expect(plain.status).toBe(302);
    expect(plain.headers.location).toBe(`http://${acmeHost}:${t.edgePort}/wp-admin/install.php`);
    clock.offsetMs = 0;
  }, 60_000);
});
