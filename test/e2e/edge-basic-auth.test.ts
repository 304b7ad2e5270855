/**
 * `bbws edge basic-auth` against the whole platform in SIT (real nginx asking for basic auth):
 * the credentials it prints are the ones that open a tenant at the edge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bbws } from '../support/cli-process.js';
import { edgeClient } from '../support/edge-client.js';
import { startLocalPlatform, type LocalPlatform } from '../support/platform-local-harness.js';

describe('edge basic auth of SIT (end to end)', () => {
  let p: LocalPlatform;
  beforeAll(async () => {
    p = await startLocalPlatform({ BBWS_ENV: 'sit' });
    const created = await p.api('POST', '/v1.0/tenants', { tenantName: 'guarded' });
    expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('the printed user and password open the tenant at the edge; without them it is 401', async () => {
    const out = await bbws('--json', 'edge', 'basic-auth', '--data-dir', p.dataDir);
    expect(out.code, out.stderr).toBe(0);
    const auth = JSON.parse(out.stdout);
    expect(auth).toMatchObject({ environment: 'sit', enabled: true, user: 'bbws-sit', password: expect.stringMatching(/^\S{20,}$/) });
    const edge = edgeClient(p.edgePort, 'guarded.wpsit.localhost');
    expect((await edge.get('/')).status).toBe(401);
    const wrong = await edge.request('GET', '/', { headers: { Authorization: `Basic ${Buffer.from('bbws-sit:wrong').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const right = await edge.request('GET', '/', { headers: { Authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` } });
    expect([200, 302]).toContain(right.status);
  });
});
