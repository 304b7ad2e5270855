import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/platform-harness.js';

/** Everything a hostile or careless client can send: a clear 4xx, a stable code, no state change. */
describe('bad input is refused and changes nothing', () => {
  let h: Harness;
  let snapshot: () => Promise<string>;
  beforeAll(async () => {
    h = await startHarness();
    const created = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'victim' } });
    await h.waitForOperation(created.body.operationId);
    snapshot = async () => {
      const tenants = await h.request('GET', '/v1.0/tenants?limit=100');
      const queues = await h.request('GET', '/v1.0/admin/queues');
      const ops = await h.request('GET', '/v1.0/tenants/victim/operations');
      return JSON.stringify({ t: tenants.body, q: queues.body.items.map((q: any) => [q.queue, q.visible, q.notVisible, q.delayed]), o: ops.body });
    };
  });
  afterAll(async () => {
    await h?.stop();
  });

  const cases: Array<[string, () => Promise<{ status: number; body: any }>, number, string]> = [];
  const add = (name: string, status: number, code: string, run: () => Promise<{ status: number; body: any }>) => cases.push([name, run, status, code]);

  add('malformed JSON', 400, 'INVALID_JSON', () => h.request('POST', '/v1.0/tenants', { raw: '{"tenantName": ', headers: { 'content-type': 'application/json' } }));
  add('empty JSON body', 400, 'INVALID_JSON', () => h.request('POST', '/v1.0/tenants', { raw: '', headers: { 'content-type': 'application/json' } }));
  add('wrong type for tenantName', 400, 'VALIDATION_FAILED', () => h.request('POST', '/v1.0/tenants', { body: { tenantName: 42 } }));
  add('string desiredCount is not coerced', 400, 'VALIDATION_FAILED', () => h.request('PATCH', '/v1.0/tenants/victim/instance', { body: { desiredCount: '3' } }));
  add('negative desiredCount', 400, 'VALIDATION_FAILED', () => h.request('PATCH', '/v1.0/tenants/victim/instance', { body: { desiredCount: -1 } }));
  add('desiredCount above the limit', 400, 'VALIDATION_FAILED', () => h.request('PATCH', '/v1.0/tenants/victim/instance', { body: { desiredCount: 1000 } }));
  add('unknown field', 400, 'VALIDATION_FAILED', () => h.request('POST', '/v1.0/tenants', { body: { tenantName: 'fine1', admin: true } }));
  add('array body', 400, 'VALIDATION_FAILED', () => h.request('POST', '/v1.0/tenants', { body: [{ tenantName: 'fine2' }] }));
  add('bad cpu', 400, 'VALIDATION_FAILED', () => h.request('POST', '/v1.0/tenants', { body: { tenantName: 'fine3', resources: { cpu: 3 } } }));
  add('bad domain', 400, 'HOSTNAME_INVALID', () => h.request('POST', '/v1.0/tenants', { body: { tenantName: 'fine4', domainName: 'evil.com; rm -rf /' } }));
  add('bad delete mode', 400, 'VALIDATION_FAILED', () => h.request('DELETE', '/v1.0/tenants/victim?mode=nuke'));
  add('bad If-Match', 400, 'VALIDATION_FAILED', () => h.request('PATCH', '/v1.0/tenants/victim/instance', { body: { desiredCount: 2 }, headers: { 'if-match': 'banana' } }));
  add('oversize body', 413, 'PAYLOAD_TOO_LARGE', () => h.request('POST', '/v1.0/tenants', { body: { tenantName: 'big', domainName: 'x'.repeat(1024 * 1024 + 10) } }));
  add('not JSON', 415, 'UNSUPPORTED_MEDIA_TYPE', () => h.request('POST', '/v1.0/tenants', { raw: 'tenantName=abc', headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
  add('no token', 401, 'UNAUTHORIZED', () => h.request('POST', '/v1.0/tenants', { body: { tenantName: 'fine5' }, token: null }));
  add('forged token', 401, 'UNAUTHORIZED', () =>
    h.request('POST', '/v1.0/tenants', {
      body: { tenantName: 'fine6' },
      // header.payload of a platform-admin token with a signature made with another key
      token: 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoicGxhdGZvcm0tYWRtaW4iLCJzdWIiOiJ4IiwiaXNzIjoiYmJ3cyIsImF1ZCI6ImJid3MtYXBpIiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJlLWZyb20tYW5vdGhlci1rZXktMDEyMzQ1Njc4OQ',
    }),
  );
  add('alg none token', 401, 'UNAUTHORIZED', () =>
    h.request('POST', '/v1.0/tenants', { body: { tenantName: 'fine7' }, token: 'eyJhbGciOiJub25lIn0.eyJyb2xlIjoicGxhdGZvcm0tYWRtaW4iLCJzdWIiOiJ4In0.' }),
  );
  add('expired token', 401, 'TOKEN_EXPIRED', async () => {
    const token = await h.token('platform-admin', undefined, 1);
    // exp is the next whole second at most: one second later on the platform's clock, it has passed.
    h.advanceClock(1_000);
    return h.request('POST', '/v1.0/tenants', { body: { tenantName: 'fine8' }, token });
  });
  add('token that expired after it was used (cached verification)', 401, 'TOKEN_EXPIRED', async () => {
    const token = await h.token('platform-admin', undefined, 1);
    expect((await h.request('GET', '/v1.0/tenants', { token })).status).toBe(200);
    // exp is the next whole second at most: one second later on the platform's clock, it has passed.
    h.advanceClock(1_000);
    return h.request('POST', '/v1.0/tenants', { body: { tenantName: 'fine10' }, token });
  });
  add('tenant-admin creating tenants', 403, 'FORBIDDEN', async () => h.request('POST', '/v1.0/tenants', { body: { tenantName: 'fine9' }, token: await h.token('tenant-admin', 'victim') }));
  add("tenant-admin reading another tenant's data", 404, 'TENANT_NOT_FOUND', async () => h.request('GET', '/v1.0/tenants/victim', { token: await h.token('tenant-admin', 'other') }));
  add('tenant-admin scaling another tenant', 404, 'TENANT_NOT_FOUND', async () =>
    h.request('PATCH', '/v1.0/tenants/victim/instance', { body: { desiredCount: 2 }, token: await h.token('tenant-admin', 'other') }),
  );
  add('tenant-admin posting events', 403, 'FORBIDDEN', async () => h.request('POST', '/v1.0/events/ecs', { body: {}, token: await h.token('tenant-admin', 'victim') }));
  add('tenant-admin redriving a DLQ', 403, 'FORBIDDEN', async () => h.request('POST', '/v1.0/admin/queues/bbws-ecs-events-dlq-dev/redrive', { token: await h.token('tenant-admin', 'victim') }));
  add('event without detail', 400, 'INVALID_EVENT', () => h.request('POST', '/v1.0/events/ecs', { body: { id: 'x', source: 'aws.ecs', 'detail-type': 'ECS Service Action', time: 'now' } }));
  add('unknown route', 404, 'NOT_FOUND', () => h.request('GET', '/v1.0/nothing-here'));
  add('unknown queue', 404, 'QUEUE_NOT_FOUND', () => h.request('GET', '/v1.0/admin/queues/no-such-queue/messages'));
  add('redrive a queue that is not a DLQ', 400, 'VALIDATION_FAILED', () => h.request('POST', '/v1.0/admin/queues/bbws-ecs-events-dev/redrive'));

  for (const hostile of ['AB', 'ab', 'a'.repeat(33), 'acme-corp', 'acme_corp', '../etc', "x'; DROP TABLE tenants;--", 'ac me', 'ÄCME', 'admin', '$(reboot)', 'a\u0000b']) {
    add(`hostile tenant name ${JSON.stringify(hostile)}`, 400, 'INVALID_TENANT_ID', () => h.request('POST', '/v1.0/tenants', { body: { tenantName: hostile } }));
  }

  it('answers each with its 4xx and code, and leaves state untouched', async () => {
    const before = await snapshot();
    for (const [name, run, status, code] of cases) {
      const res = await run();
      expect({ name, status: res.status, code: res.body?.error?.code }).toEqual({ name, status, code });
      expect(res.body.error.correlationId, name).toBeTruthy();
      expect(typeof res.body.error.message, name).toBe('string');
    }
    expect(await snapshot()).toBe(before);
  }, 30_000);

  it("refuses a tenant-admin's webhook to a private or loopback address; an operator's may go there", async () => {
    const tenant = await h.token('tenant-admin', 'victim');
    for (const url of ['http://127.0.0.1:9/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:9/', 'http://[::ffff:7f00:1]/', 'http://localhost:3306/', 'https://db.localhost/', 'http://localhost.:9/', 'http://foo.localhost./', 'http://DB.LocalHost../x']) {
      const res = await h.request('POST', '/v1.0/webhooks', { body: { url }, token: tenant });
      expect({ url, status: res.status, code: res.body?.error?.code }).toEqual({ url, status: 400, code: 'VALIDATION_FAILED' });
    }
    expect((await h.request('GET', '/v1.0/webhooks', { token: tenant })).body.items).toEqual([]);

    const theirs = await h.request('POST', '/v1.0/webhooks', { body: { url: 'https://hooks.example.com/bbws' }, token: tenant });
    expect(theirs.status).toBe(201);
    expect(theirs.body).toMatchObject({ tenantId: 'victim', publicOnly: true });
    const operators = await h.request('POST', '/v1.0/webhooks', { body: { url: 'http://10.1.2.3/internal-crm' } });
    expect(operators.status).toBe(201);
    expect(operators.body).toMatchObject({ tenantId: null, publicOnly: false });
    for (const id of [theirs.body.webhookId, operators.body.webhookId]) expect((await h.request('DELETE', `/v1.0/webhooks/${id}`)).status).toBe(204);
  });

  it('answers 429 with Retry-After when a token exceeds its rate', async () => {
    const limited = await startHarness({ BBWS_RATE_LIMIT: '5' });
    try {
      const token = await limited.token('platform-admin');
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await limited.request('GET', '/v1.0/tenants', { token })).status);
      expect(statuses).toContain(429);
      const res = await limited.request('GET', '/v1.0/tenants', { token });
      if (res.status === 429) {
        expect(res.body.error.code).toBe('RATE_LIMITED');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      // another token is not affected
      expect((await limited.request('GET', '/v1.0/tenants', { token: await limited.token('tenant-admin', 'abc') })).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it('never answers a 500 with internals', async () => {
    const res = await h.request('GET', '/v1.0/operations/' + encodeURIComponent('x'.repeat(64)));
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+|SQLITE|stack/i);
  });
});
