import { describe, expect, it } from 'vitest';
import { assertTenantId, isValidHostname, names, tenantIdFromServiceName } from '../../src/domain/naming.js';
import { queueDefinitions } from '../../src/domain/queues.js';
import { ConfigError, parseConfig } from '../../src/main/config.js';
import { createRateLimiter } from '../../src/http/rate-limit.js';
import { parseTtl } from '../../src/adapters/auth/jwt.js';

describe('naming (seeds 003, 004)', () => {
  it('accepts 3-32 lowercase letters and digits only', () => {
    for (const ok of ['abc', 'acme', 'a1b2c3', 'x'.repeat(32)]) expect(assertTenantId(ok)).toBe(ok);
    for (const bad of ['ab', 'x'.repeat(33), 'Acme', 'ac-me', 'ac_me', 'ac.me', '../x', "a'b", 'a b', '', 'admin', 'mysql', 42, null]) {
      expect(() => assertTenantId(bad)).toThrow(expect.objectContaining({ code: 'INVALID_TENANT_ID' }));
    }
  });
  it('names resources like the seeds', () => {
    expect(names.serviceName('dev', 'acme')).toBe('dev-acme-service');
    expect(names.dbCredentialsSecret('sit', 'acme')).toBe('sit-acme-db-credentials');
    expect(names.databaseName('acme')).toBe('acme_db');
    expect(names.databaseUser('acme')).toBe('acme_user');
    expect(names.clusterName('prod')).toBe('bbws-cluster-prod');
    expect(names.defaultHostname('sit', 'acme', 'kimmyai.io')).toBe('acme.wpsit.kimmyai.io');
    expect(tenantIdFromServiceName('dev-acme-service')).toBe('acme');
    expect(tenantIdFromServiceName('tenant-acme-wordpress')).toBe('acme');
    expect(tenantIdFromServiceName('dev-ac-me-service')).toBeUndefined();
  });
  it('validates host names', () => {
    expect(isValidHostname('acme.wpdev.localhost')).toBe(true);
    for (const bad of ['', 'a..b', '-a.com', 'a b.com', 'evil.com;rm', 'A.COM', 'x'.repeat(64) + '.com']) expect(isValidHostname(bad)).toBe(false);
  });
  it('defines every seed queue with its DLQ', () => {
    const defs = queueDefinitions('dev');
    const byName = Object.fromEntries(defs.map((d) => [d.name, d]));
    expect(byName['bbws-wp-site-creation-dev'].deadLetterQueue).toBe('bbws-wp-site-operations-dlq-dev');
    expect(byName['bbws-wp-site-update-dev'].deadLetterQueue).toBe('bbws-wp-site-operations-dlq-dev');
    expect(byName['bbws-wp-site-deletion-dev'].deadLetterQueue).toBe('bbws-wp-site-operations-dlq-dev');
    expect(byName['bbws-ecs-events-dev'].deadLetterQueue).toBe('bbws-ecs-events-dlq-dev');
    expect(byName['bbws-ecs-events-dlq-dev']).toBeDefined();
  });
});

describe('configuration', () => {
  it('defaults, then env, then flags', () => {
    const d = parseConfig({}, {});
    expect(d).toMatchObject({ apiPort: 8080, edgePort: 8088, env: 'dev', baseDomain: 'localhost', clusterName: 'bbws-cluster-dev', operationDeadlineMinutes: 15, healthIntervalSeconds: 30 });
    expect(parseConfig({}, { BBWS_HEALTH_INTERVAL_SECONDS: '120' }).healthIntervalSeconds).toBe(120);
    expect(() => parseConfig({}, { BBWS_HEALTH_INTERVAL_SECONDS: '1' })).toThrow(/BBWS_HEALTH_INTERVAL_SECONDS: expected 5-3600 seconds/);
    expect(d.dataDir.endsWith('.bbws')).toBe(true);
    expect(Object.isFrozen(d)).toBe(true);
    expect(parseConfig({}, { BBWS_ENV: 'sit', BBWS_API_PORT: '9000' })).toMatchObject({ env: 'sit', apiPort: 9000, clusterName: 'bbws-cluster-sit' });
    expect(parseConfig({ env: 'prod', apiPort: '9100' }, { BBWS_ENV: 'sit', BBWS_API_PORT: '9000' })).toMatchObject({ env: 'prod', apiPort: 9100 });
  });
  it('fails fast naming the setting', () => {
    expect(() => parseConfig({ env: 'staging' }, {})).toThrow(ConfigError);
    expect(() => parseConfig({ env: 'staging' }, {})).toThrow(/--env \/ BBWS_ENV/);
    expect(() => parseConfig({ apiPort: '99999' }, {})).toThrow(/--api-port/);
    expect(() => parseConfig({ baseDomain: 'bad domain' }, {})).toThrow(/--base-domain/);
    expect(() => parseConfig({ mysqlUrl: 'postgres://x' }, {})).toThrow(/--mysql-url/);
  });
  it('keeps the speed settings off unless switched on', () => {
    expect(parseConfig({}, {})).toMatchObject({ responseBatching: false, readCache: false });
    expect(parseConfig({}, { BBWS_RESPONSE_BATCHING: 'on', BBWS_READ_CACHE: '1' })).toMatchObject({ responseBatching: true, readCache: true });
    expect(parseConfig({}, { BBWS_RESPONSE_BATCHING: 'false', BBWS_READ_CACHE: '0' })).toMatchObject({ responseBatching: false, readCache: false });
    expect(() => parseConfig({}, { BBWS_READ_CACHE: 'maybe' })).toThrow(/BBWS_READ_CACHE: expected on or off/);
  });
});

describe('rate limiter and ttl', () => {
  it('allows a burst of twice the rate, then refills', () => {
    let t = 0;
    const rl = createRateLimiter(10, () => t);
    const results = Array.from({ length: 25 }, () => rl.take('k'));
    expect(results.filter((r) => r === 0)).toHaveLength(20);
    expect(rl.take('other')).toBe(0);
    t += 1000;
    expect(rl.take('k')).toBe(0);
  });
  it('parses ttls', () => {
    expect(parseTtl('1h')).toBe(3600);
    expect(parseTtl('15m')).toBe(900);
    expect(() => parseTtl('forever')).toThrow(/ttl/);
  });
});

describe('edge listen address (--edge-host / BBWS_EDGE_HOST)', () => {
  it('is loopback unless the operator says otherwise', () => {
    expect(parseConfig({}, {}).edgeHost).toBe('127.0.0.1');
    expect(parseConfig({}, { BBWS_EDGE_HOST: '0.0.0.0' }).edgeHost).toBe('0.0.0.0');
    expect(parseConfig({ edgeHost: '10.1.2.3' }, { BBWS_EDGE_HOST: '0.0.0.0' }).edgeHost).toBe('10.1.2.3');
    expect(parseConfig({ edgeHost: '::' }, {}).edgeHost).toBe('[::]');
    expect(parseConfig({ edgeHost: '::1' }, {}).edgeHost).toBe('[::1]');
  });
  it('refuses what nginx would not take as a listen address, naming the setting', () => {
    for (const bad of ['localhost', '256.1.1.1', '1.2.3', '0.0.0.0:80', '127.0.0.1; include /etc/passwd', '[::1'])
      expect(() => parseConfig({ edgeHost: bad }, {}), bad).toThrow(/--edge-host \/ BBWS_EDGE_HOST: expected an IP address/);
  });
});

describe('TLS settings (--tls, --https-port, --acme-directory, --acme-email)', () => {
  it('defaults: off, 8443, Let’s Encrypt production, no e-mail', () => {
    expect(parseConfig({}, {}).tls).toEqual({ mode: 'off', httpsPort: 8443, acmeDirectory: 'https://acme-v02.api.letsencrypt.org/directory', acmeEmail: null, acmeCaFile: null });
  });
  it('flags win over the environment', () => {
    const tls = parseConfig({ tls: 'auto', httpsPort: '9443', acmeDirectory: 'https://127.0.0.1:14000/dir' }, { BBWS_TLS: 'off', BBWS_ACME_EMAIL: 'ops@example.com' }).tls!;
    expect(tls).toMatchObject({ mode: 'auto', httpsPort: 9443, acmeDirectory: 'https://127.0.0.1:14000/dir', acmeEmail: 'ops@example.com' });
  });
  it('refuses bad values, naming the setting', () => {
    expect(() => parseConfig({ tls: 'on' }, {})).toThrow(/--tls \/ BBWS_TLS/);
    expect(() => parseConfig({ tls: 'auto', edgePort: '8443' }, {})).toThrow(/--https-port .*must differ/);
    expect(() => parseConfig({ tls: 'auto', httpsPort: '70000' }, {})).toThrow(/--https-port/);
    expect(() => parseConfig({ acmeDirectory: 'http://acme.example.com/dir' }, {})).toThrow(/--acme-directory/);
    expect(() => parseConfig({ acmeDirectory: 'https://x/dir\nssl_certificate /etc/shadow;' }, {})).toThrow(/--acme-directory/);
    expect(() => parseConfig({ acmeEmail: 'not-an-address' }, {})).toThrow(/--acme-email/);
  });
});
