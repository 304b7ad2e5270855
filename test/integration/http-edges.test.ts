/**
 * The HTTP edges a client can reach before a route runs: over-long path parameters, a request
 * line Node's parser refuses, and the rate limit. Every answer is the error envelope.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/platform-harness.js';

/** Sends raw bytes on a new socket; resolves with what came back and how the socket ended. */
function rawExchange(apiUrl: string, request: string): Promise<{ text: string; ended: 'fin' | 'reset' }> {
  const { hostname, port } = new URL(apiUrl);
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(Number(port), hostname, () => socket.write(request));
    socket.setEncoding('utf8');
    socket.on('data', (d) => (text += d));
    socket.on('end', () => resolve({ text, ended: 'fin' }));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve({ text, ended: 'reset' }) : reject(err)));
    socket.setTimeout(10_000, () => reject(new Error(`no answer; got ${JSON.stringify(text)}`)));
  });
}

function parseAnswer(text: string) {
  const [head, body] = text.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) };
}

describe('answers before any route runs, over a real socket', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a path parameter over 100 characters: 414 URI_TOO_LONG in the envelope, with the correlation id', async () => {
    const { text } = await rawExchange(h.apiUrl, `GET /v1.0/tenants/${'a'.repeat(101)} HTTP/1.1\r\nHost: x\r\nX-Correlation-Id: long-param-1\r\nConnection: close\r\n\r\n`);
    const answer = parseAnswer(text);
    expect(answer.status).toBe(414);
    expect(answer.headers['x-correlation-id']).toBe('long-param-1');
    expect(answer.body).toEqual({ error: { code: 'URI_TOO_LONG', message: expect.any(String), details: {}, correlationId: 'long-param-1' } });
  });

  it('an invalid method (CONNECTX): 400 BAD_REQUEST in the envelope, Connection: close, and a clean close, not a reset', async () => {
    const { text, ended } = await rawExchange(h.apiUrl, 'CONNECTX / HTTP/1.1\r\nHost: x\r\n\r\n');
    const answer = parseAnswer(text);
    expect(answer.status).toBe(400);
    expect(answer.headers.connection).toBe('close');
    expect(answer.body.error).toMatchObject({ code: 'BAD_REQUEST', correlationId: answer.headers['x-correlation-id'] });
    expect(answer.body.error.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(ended).toBe('fin');
  });
});

describe('rate limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ BBWS_RATE_LIMIT: '5' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('is per token: 32 CLI-minted operator tokens at concurrency 32 are all admitted; one token at 32 is limited', async () => {
    const tokens = await Promise.all(Array.from({ length: 32 }, () => h.token('platform-admin')));
    const many = await Promise.all(tokens.map((token) => h.request('GET', '/v1.0/tenants', { token })));
    expect(many.map((r) => r.status)).toEqual(tokens.map(() => 200));

    const one = await h.token('platform-admin');
    const same = await Promise.all(Array.from({ length: 32 }, () => h.request('GET', '/v1.0/tenants', { token: one })));
    const limited = same.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0].body.error.code).toBe('RATE_LIMITED');
  });
});
