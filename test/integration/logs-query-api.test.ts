/**
 * GET /v1.0/logs/query and `bbws logs query` on a running platform's own logs: platform-admin
 * only, a positioned error in the envelope, and the CLI both from the data dir and through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bbws } from '../support/cli-process.js';
import { startHarness, type Harness } from '../support/platform-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

const FAILED = 'fields @timestamp, statusCode, errorCode, correlationId | filter statusCode >= 400 | sort @timestamp desc | limit 5';
const q = (query: string, extra = '') => `/v1.0/logs/query?query=${encodeURIComponent(query)}${extra}`;

describe('logs query', () => {
  it('finds the request it was asked about in the live log', async () => {
    const missing = await h.request('GET', '/v1.0/tenants/nosuchtenant', { headers: { 'x-correlation-id': 'find-me-404' } });
    expect(missing.status).toBe(404);
    const found = await h.waitFor('the 404 in the log', async () => {
      const r = await h.request('GET', q(FAILED));
      expect(r.status).toBe(200);
      return r.body.rows.find((row: any) => row.correlationId === 'find-me-404');
    });
    expect(found).toMatchObject({ statusCode: 404, errorCode: 'TENANT_NOT_FOUND' });
  });

  it('is for platform admins only', async () => {
    const r = await h.request('GET', q(FAILED), { token: await h.token('tenant-admin', 'acme') });
    expect(r.status).toBe(403);
    expect((await h.request('GET', q(FAILED), { token: null })).status).toBe(401);
  });

  it('answers a bad query with LOGS_QUERY_INVALID and its position, a bad range with LOGS_TIME_RANGE_INVALID', async () => {
    const r = await h.request('GET', q('fields @timestamp\n| sort'));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'LOGS_QUERY_INVALID', details: { line: 2, column: 7, found: '<end of query>' } });
    const range = await h.request('GET', q(FAILED, '&since=last-week'));
    expect(range.body.error.code).toBe('LOGS_TIME_RANGE_INVALID');
    expect((await h.request('GET', '/v1.0/logs/query')).body.error.code).toBe('VALIDATION_FAILED');
  });

  it('bbws logs query reads the data dir (platform up or down), or asks the API with --api-url', async () => {
    const mine = `${FAILED.replace('statusCode >= 400', 'correlationId = "find-me-404"')}`;
    const direct = await bbws('logs', 'query', mine, '--since', '10m', '--data-dir', h.dataDir, '--json');
    expect(direct.code).toBe(0);
    expect(JSON.parse(direct.stdout).rows.some((row: any) => row.correlationId === 'find-me-404')).toBe(true);
    const viaApi = await bbws('logs', 'query', mine, '--data-dir', h.dataDir, '--api-url', h.apiUrl);
    expect(viaApi.code).toBe(0);
    expect(viaApi.stdout).toMatch(/^@TIMESTAMP\s+STATUSCODE\s+ERRORCODE\s+CORRELATIONID\n/);
    expect(viaApi.stdout).toContain('find-me-404');
    expect(viaApi.stderr).toMatch(/rows; \d+ of \d+ records matched/);
    const bad = await bbws('logs', 'query', 'filter x ==', '--data-dir', h.dataDir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('bbws: Line 1, column 11: expected a value, a field or a function\n');
  });
});
