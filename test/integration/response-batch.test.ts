/**
 * Response batching (src/http/response-batch.ts): responses finished in one event-loop turn are
 * held to the turn's end and then sent together. Every response must still reach its own request
 * intact, and a slow handler must neither hold back nor be held back by the others.
 */
import { Agent, request as httpRequest } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerResponseBatching } from '../../src/http/response-batch.js';

function get(url: string, agent: Agent): Promise<{ status: number; body: string; at: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, at: performance.now() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('response batching', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers many concurrent keep-alive requests each with its own body, fast and slow alike', async () => {
    app = Fastify({ logger: false });
    registerResponseBatching(app);
    app.get<{ Params: { n: string } }>('/echo/:n', async (request) => ({ n: Number(request.params.n) }));
    app.get('/slow', async () => {
      await new Promise((r) => setTimeout(r, 300));
      return { slow: true };
    });
    app.get('/error', async () => {
      throw Object.assign(new Error('nope'), { statusCode: 418 });
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    try {
      const started = performance.now();
      const slow = get(`${base}/slow`, agent);
      const fast = await Promise.all(Array.from({ length: 200 }, (_, i) => get(`${base}/echo/${i}`, agent)));
      const fastDone = performance.now();
      fast.forEach((r, i) => {
        expect(r.status).toBe(200);
        expect(JSON.parse(r.body)).toEqual({ n: i });
      });
      // The 200 fast answers did not wait for the slow one…
      expect(fastDone - started).toBeLessThan(300);
      // …and the slow one still arrives, complete.
      const s = await slow;
      expect(s.status).toBe(200);
      expect(JSON.parse(s.body)).toEqual({ slow: true });
      const e = await get(`${base}/error`, agent);
      expect(e.status).toBe(418);
      expect(JSON.parse(e.body).message).toBe('nope');
    } finally {
      agent.destroy();
    }
  });

  // What batching does, observed: a response finished in a turn is held to that turn's check
  // phase. An `onSend` hook registered after it runs only when the batch is released, so it comes
  // after a setImmediate the handler queued; without batching it comes before.
  it.each([
    [true, ['handler', 'check phase', 'sent']],
    [false, ['handler', 'sent', 'check phase']],
  ])('with batching %s, the response leaves in the check phase of its turn (or at once)', async (batching, order) => {
    app = Fastify({ logger: false });
    if (batching) registerResponseBatching(app);
    const marks: string[] = [];
    app.addHook('onSend', (_request, _reply, payload, done) => {
      marks.push('sent');
      done(null, payload);
    });
    app.get('/mark', (_request, reply) => {
      marks.push('handler');
      setImmediate(() => marks.push('check phase'));
      reply.send({ ok: true });
    });
    const res = await app.inject({ method: 'GET', url: '/mark' });
    expect(res.json()).toEqual({ ok: true });
    await new Promise((r) => setImmediate(r));
    expect(marks).toEqual(order);
  });
});
