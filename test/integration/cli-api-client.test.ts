/**
 * The CLI's API client against a real HTTP server that records what it is sent: which tokens the
 * CLI mints for itself (one subject per process, so scripts do not share a rate-limit bucket) and
 * how it renews them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey } from '../../src/adapters/auth/jwt.js';
import { createApiClient } from '../../src/cli/api-client.js';

const claimsOf = (authorization: string | undefined) => JSON.parse(Buffer.from(String(authorization).split('.')[1], 'base64url').toString('utf8')) as { sub: string; jti: string; exp: number; iat: number };

describe('bbws CLI API client', () => {
  let dataDir: string;
  let server: Server;
  let apiUrl: string;
  const seen: string[] = [];
  let expireNext = 0;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bbws-cli-client-'));
    loadOrCreateSigningKey(join(dataDir, 'jwt.key'));
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      seen.push(req.headers.authorization ?? '');
      res.setHeader('content-type', 'application/json');
      if (expireNext > 0) {
        expireNext--;
        res.statusCode = 401;
        return res.end(JSON.stringify({ error: { code: 'TOKEN_EXPIRED', message: 'The token has expired.', details: {}, correlationId: 'c1' } }));
      }
      res.end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(join(dataDir, 'platform.json'), JSON.stringify({ apiUrl }));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('each CLI process has its own subject, kept by all its requests', async () => {
    seen.length = 0;
    const a = await createApiClient({ dataDir });
    const b = await createApiClient({ dataDir });
    await a.request('GET', '/v1.0/tenants');
    await a.request('GET', '/v1.0/tenants');
    await b.request('GET', '/v1.0/tenants');
    const [a1, a2, b1] = seen.map(claimsOf);
    expect(a1.sub).toMatch(/^bbws-cli:[0-9a-f]{12}$/);
    expect(a2.sub).toBe(a1.sub);
    expect(b1.sub).not.toBe(a1.sub);
    expect(b1.jti).not.toBe(a1.jti);
    expect(a1.exp - a1.iat).toBe(300);
  });

  it('a 401 TOKEN_EXPIRED is retried once with a new token of the same subject', async () => {
    seen.length = 0;
    const client = await createApiClient({ dataDir });
    expireNext = 1;
    await expect(client.request('GET', '/v1.0/tenants')).resolves.toEqual({ ok: true });
    const [first, retry] = seen.map(claimsOf);
    expect(seen).toHaveLength(2);
    expect(retry.jti).not.toBe(first.jti);
    expect(retry.sub).toBe(first.sub);
    expireNext = 2;
    await expect(client.request('GET', '/v1.0/tenants')).rejects.toThrow(/401 TOKEN_EXPIRED/);
    expireNext = 0;
  });

  it('BBWS_CLI_TOKEN_TTL sets the lifetime; a token past two thirds of it is replaced before use', async () => {
    process.env.BBWS_CLI_TOKEN_TTL = '3';
    try {
      seen.length = 0;
      const client = await createApiClient({ dataDir });
      await client.request('GET', '/v1.0/tenants');
      await client.request('GET', '/v1.0/tenants');
      await new Promise((r) => setTimeout(r, 2100));
      await client.request('GET', '/v1.0/tenants');
      const [t1, t2, t3] = seen.map(claimsOf);
      expect(t1.exp - t1.iat).toBe(3);
      expect(t2.jti).toBe(t1.jti);
      expect(t3.jti).not.toBe(t1.jti);
    } finally {
      delete process.env.BBWS_CLI_TOKEN_TTL;
    }
  });
});
