/**
 * Host names a tenant may route: its own namespace, and custom domains it proved by a DNS TXT
 * record (checked against a real dnsmasq on loopback). Everything else is refused with a stable
 * code and changes nothing. A hard delete frees the names; a soft delete keeps them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/platform-harness.js';
import { freeUdpPort, startDnsmasq, type Dnsmasq } from '../support/dnsmasq.js';

describe('host names and custom domains', () => {
  let h: Harness;
  let dnsPort: number;
  let dns: Dnsmasq | null = null;
  let acme: string;
  let rival: string;
  const site = (siteName: string, hostnames: string[]) => ({ siteName, title: 'Site', adminEmail: 'owner@example.com', hostnames });
  const serveTxt = async (records: Record<string, string>) => {
    await dns?.stop();
    dns = await startDnsmasq(dnsPort, records);
  };

  beforeAll(async () => {
    dnsPort = await freeUdpPort();
    h = await startHarness({ BBWS_DNS_SERVER: `127.0.0.1:${dnsPort}` });
    for (const tenantName of ['acme', 'rival']) {
      const created = await h.request('POST', '/v1.0/tenants', { body: { tenantName } });
      expect((await h.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    }
    acme = await h.token('tenant-admin', 'acme');
    rival = await h.token('tenant-admin', 'rival');
  });
  afterAll(async () => {
    await dns?.stop();
    await h?.stop();
  });

  const hostile: Array<[string, string]> = [
    ['evil.rival.wpdev.localhost', 'HOSTNAME_OTHER_TENANT'],
    ['rival.wpdev.localhost', 'HOSTNAME_OTHER_TENANT'],
    ['evil.notyet.wpdev.localhost', 'HOSTNAME_OTHER_TENANT'], // a tenant that does not exist yet
    ['shop.acme.wpprod.localhost', 'HOSTNAME_OTHER_TENANT'], // another environment's namespace
    ['wpdev.localhost', 'HOSTNAME_RESERVED'],
    ['localhost', 'HOSTNAME_RESERVED'],
    ['db.localhost', 'HOSTNAME_RESERVED'],
    ['warm-1234.bbws.invalid', 'HOSTNAME_RESERVED'],
    ['verify-abcdefghijkl-abcdefghij.bbws.invalid', 'HOSTNAME_RESERVED'],
    ['127.0.0.1', 'HOSTNAME_IP_LITERAL'],
    ['10.1.2.3', 'HOSTNAME_IP_LITERAL'],
    ['2130706433', 'HOSTNAME_IP_LITERAL'],
    ['0x7f000001', 'HOSTNAME_IP_LITERAL'],
    ['127.1', 'HOSTNAME_IP_LITERAL'],
    ['0177.0.0.1', 'HOSTNAME_IP_LITERAL'],
    ['foo.0x7f.1', 'HOSTNAME_IP_LITERAL'],
    ['::1', 'HOSTNAME_IP_LITERAL'],
    ['[::ffff:127.0.0.1]', 'HOSTNAME_IP_LITERAL'],
    ['Evil.Rival.wpdev.localhost', 'HOSTNAME_INVALID'],
    ['evil.rival.wpdev.localhost.', 'HOSTNAME_INVALID'],
    ['blog.acme.wpdev.localhost.', 'HOSTNAME_INVALID'],
    ['BLOG.ACME.WPDEV.LOCALHOST', 'HOSTNAME_INVALID'],
    ['evil.com; rm -rf /', 'HOSTNAME_INVALID'],
    ['shop.example.com', 'DOMAIN_NOT_VERIFIED'],
  ];

  it('refuses hostile names on site create and tenant create, with stable codes, changing nothing', async () => {
    const before = JSON.stringify([(await h.request('GET', '/v1.0/tenants/acme/sites')).body, (await h.request('GET', '/v1.0/tenants')).body.items.length]);
    for (const [name, code] of hostile) {
      const res = await h.request('POST', '/v1.0/tenants/acme/sites', { body: site('hostile', [name]), token: acme });
      expect({ name, code: res.body?.error?.code, status: res.status }).toEqual({ name, code, status: code.startsWith('HOSTNAME_I') ? 400 : 403 });
      const tenant = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'newcomer', domainName: name } });
      expect({ name, code: tenant.body?.error?.code }).toEqual({ name, code });
    }
    expect(JSON.stringify([(await h.request('GET', '/v1.0/tenants/acme/sites')).body, (await h.request('GET', '/v1.0/tenants')).body.items.length])).toBe(before);
  });

  it('accepts names under the tenant’s own namespace', async () => {
    const res = await h.request('POST', '/v1.0/tenants/acme/sites', { body: site('blog', ['blog.acme.wpdev.localhost', 'www.blog.acme.wpdev.localhost']), token: acme });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
  });

  it('proves a custom domain by a DNS TXT record; only then may it (and names under it) be routed, and by no one else', async () => {
    for (const [domain, code] of [['localhost', 'HOSTNAME_RESERVED'], ['1.2.3.4', 'HOSTNAME_IP_LITERAL'], ['evil.rival.wpdev.localhost', 'HOSTNAME_OTHER_TENANT'], ['x.acme.wpdev.localhost', 'VALIDATION_FAILED']]) {
      const res = await h.request('POST', '/v1.0/tenants/acme/domains', { body: { domain }, token: acme });
      expect({ domain, code: res.body?.error?.code }).toEqual({ domain, code });
    }
    const claim = await h.request('POST', '/v1.0/tenants/acme/domains', { body: { domain: 'shop.example' }, token: acme });
    expect(claim.status, JSON.stringify(claim.body)).toBe(201);
    expect(claim.body).toMatchObject({ domain: 'shop.example', status: 'PENDING', challenge: { type: 'dns-txt', name: '_bbws-challenge.shop.example' } });
    const token: string = claim.body.challenge.value;
    expect((await h.request('POST', '/v1.0/tenants/acme/domains', { body: { domain: 'shop.example' }, token: acme })).body.challenge.value).toBe(token);
    const verify = () => h.request('POST', '/v1.0/tenants/acme/domains/shop.example/verify', { token: acme });

    // No resolver answering: 503, and nothing verified.
    expect((await verify()).body.error.code).toBe('DNS_UNAVAILABLE');
    // A resolver without the record, then with a wrong value: 422.
    await serveTxt({});
    const none = await verify();
    expect([none.status, none.body.error.code, none.body.error.details.found]).toEqual([422, 'DOMAIN_CHALLENGE_FAILED', []]);
    await serveTxt({ '_bbws-challenge.shop.example': 'bbws-not-the-token' });
    expect((await verify()).body.error.code).toBe('DOMAIN_CHALLENGE_FAILED');
    expect((await h.request('POST', '/v1.0/tenants/acme/sites', { body: site('shop', ['shop.example']), token: acme })).body.error.code).toBe('DOMAIN_NOT_VERIFIED');

    await serveTxt({ '_bbws-challenge.shop.example': token });
    const ok = await verify();
    expect([ok.status, ok.body.status]).toEqual([200, 'VERIFIED']);
    expect((await h.request('GET', '/v1.0/tenants/acme/domains', { token: acme })).body.items).toEqual([expect.objectContaining({ domain: 'shop.example', status: 'VERIFIED' })]);
    expect((await h.request('GET', '/v1.0/tenants/acme/domains', { token: rival })).status).toBe(404);

    const shop = await h.request('POST', '/v1.0/tenants/acme/sites', { body: site('shop', ['shop.example', 'www.shop.example']), token: acme });
    expect(shop.status, JSON.stringify(shop.body)).toBe(202);
    // The rival can neither claim it nor route it.
    expect((await h.request('POST', '/v1.0/tenants/rival/domains', { body: { domain: 'shop.example' }, token: rival })).body.error.code).toBe('DOMAIN_TAKEN');
    expect((await h.request('POST', '/v1.0/tenants/rival/sites', { body: site('copy', ['www.shop.example']), token: rival })).body.error.code).toBe('DOMAIN_NOT_VERIFIED');
  });

  it('a soft-deleted tenant keeps its names; a hard-deleted one frees them for another tenant', async () => {
    const soft = await h.request('DELETE', '/v1.0/tenants/acme?mode=soft');
    expect((await h.waitForOperation(soft.body.operationId)).status).toBe('SUCCEEDED');
    expect((await h.request('POST', '/v1.0/tenants/rival/domains', { body: { domain: 'shop.example' }, token: rival })).body.error.code).toBe('DOMAIN_TAKEN');

    const hard = await h.request('DELETE', '/v1.0/tenants/acme?mode=hard');
    expect((await h.waitForOperation(hard.body.operationId)).status).toBe('SUCCEEDED');
    const claim = await h.request('POST', '/v1.0/tenants/rival/domains', { body: { domain: 'shop.example' }, token: rival });
    expect(claim.status, JSON.stringify(claim.body)).toBe(201);
    await serveTxt({ '_bbws-challenge.shop.example': claim.body.challenge.value });
    expect((await h.request('POST', '/v1.0/tenants/rival/domains/shop.example/verify', { token: rival })).body.status).toBe('VERIFIED');
    const moved = await h.request('POST', '/v1.0/tenants/rival/sites', { body: site('shop', ['shop.example', 'www.shop.example']), token: rival });
    expect(moved.status, JSON.stringify(moved.body)).toBe(202);
  });
});
