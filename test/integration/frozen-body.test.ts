/**
 * Reused bodies for frozen values (src/http/frozen-body.ts) on a real Fastify route, and on the
 * API's `GET /v1.0/tenants/{id}`, whose body must follow every commit, this process's or another's.
 */
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createFrozenBodySender } from '../../src/http/frozen-body.js';
import { type Harness, startHarness } from '../support/platform-harness.js';
import { execInOtherProcess } from '../support/sqlite-exec.js';

describe('frozen response bodies', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  /** A route whose schema drops `secret`: the reused body must be the schema's serialization. */
  async function serve(value: () => object, status: 200 | 201 = 200): Promise<FastifyInstance> {
    const app = Fastify({ logger: false });
    cleanups.push(() => app.close());
    const send = createFrozenBodySender();
    const schema = { type: 'object', properties: { name: { type: 'string' }, n: { type: 'integer' } } };
    app.get('/v', { schema: { response: { 200: schema, 201: schema } } }, async (_req, reply) => send(reply.code(status), value()));
    await app.ready();
    return app;
  }

  it('serializes a frozen value by the route schema once, and a new value anew', async () => {
    let serializations = 0; // reads of `name`, which only serializing the value does
    const spy = (v: object) => new Proxy(v, { get: (t, k) => (k === 'name' && serializations++, Reflect.get(t, k)) });
    let current: object = Object.freeze(spy({ name: 'one', n: 1, secret: 'x' }));
    const app = await serve(() => current);
    for (let i = 0; i < 3; i++) {
      const res = await app.inject('/v');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.json()).toEqual({ name: 'one', n: 1 });
    }
    expect(serializations).toBe(1);
    current = Object.freeze({ name: 'twö', n: 2 });
    const next = await app.inject('/v');
    expect(next.json()).toEqual({ name: 'twö', n: 2 });
    expect(Number(next.headers['content-length'])).toBe(Buffer.byteLength(next.body));
  });

  it('serializes values that are not frozen, and other statuses, every time', async () => {
    const mutable = { name: 'a', n: 1, secret: 'x' };
    const app = await serve(() => mutable);
    expect((await app.inject('/v')).json()).toEqual({ name: 'a', n: 1 });
    mutable.name = 'b';
    expect((await app.inject('/v')).json()).toEqual({ name: 'b', n: 1 });

    let frozen: object = Object.freeze({ name: 'c', n: 3, secret: 'x' });
    const created = await serve(() => frozen, 201);
    expect((await created.inject('/v')).json()).toEqual({ name: 'c', n: 3 });
    frozen = Object.freeze({ name: 'd', n: 4, secret: 'x' });
    const again = await created.inject('/v');
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual({ name: 'd', n: 4 });
  });

  describe('GET /v1.0/tenants/{id}', () => {
    let h: Harness;
    afterEach(async () => h?.stop());

    // The default (BBWS_READ_CACHE off) and the read cache with frozen bodies must answer alike.
    it.each([['off', {}], ['on', { BBWS_READ_CACHE: '1' }]] as const)('with the read cache %s, follows a change made through the API and one made by another process', async (_setting, env) => {
      h = await startHarness(env);
      const created = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'frozenbody' } });
      expect(created.status).toBe(202);
      await h.waitForOperation(created.body.operationId);
      const first = await h.request('GET', '/v1.0/tenants/frozenbody');
      expect(first.status).toBe(200);
      expect((await h.request('GET', '/v1.0/tenants/frozenbody')).body).toEqual(first.body);

      const scaled = await h.request('PATCH', '/v1.0/tenants/frozenbody/instance', { body: { desiredCount: 2 } });
      expect(scaled.status).toBe(202);
      const afterPatch = await h.request('GET', '/v1.0/tenants/frozenbody');
      expect(afterPatch.body.version).toBeGreaterThan(first.body.version);
      expect(afterPatch.body.instance.desiredCount).toBe(2);
      await h.waitForOperation(scaled.body.operationId);

      const settled = await h.request('GET', '/v1.0/tenants/frozenbody');
      const sql = `UPDATE tenants SET domain_name = 'other.example', version = version + 1 WHERE tenant_id = 'frozenbody'`;
      execInOtherProcess(join(h.dataDir, 'state.db'), sql);
      const changed = await h.request('GET', '/v1.0/tenants/frozenbody');
      expect(changed.body.domainName).toBe('other.example');
      expect(changed.body).toEqual({ ...settled.body, domainName: 'other.example', updatedAt: changed.body.updatedAt });
      expect(changed.headers.get('etag')).toBe(`"${changed.body.version}"`);
    }, 30_000);
  });
});
