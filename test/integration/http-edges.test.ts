/**
 * The HTTP edges a client can reach before a route runs: over-long path parameters, a request
 * line Node's parser refuses, and the rate limit. Every answer is the error envelope.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/platform-harness.js';

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
