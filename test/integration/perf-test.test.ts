/**
 * `bbws perf-test` against a running platform (real API over real HTTP, scripted runtime double:
 * the sites target is in test/e2e/operations-runtime.test.ts): basic, load, stress and spike
 * runs with their reports saved under the data dir; a threshold that fails (the API's per-token
 * rate limit at 1 request/s answers 429) exits 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bbws } from '../support/cli-process.js';
import { startHarness, type Harness } from '../support/platform-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

async function perf(dataDir: string, ...args: string[]) {
  const r = await bbws('perf-test', '--json', '--data-dir', dataDir, '--target', 'api', ...args);
  return { code: r.code, report: JSON.parse(r.stdout), stderr: r.stderr };
}

describe('bbws perf-test', () => {
  it('basic: every read endpoint passes the thresholds; text, JSON and HTML reports saved', async () => {
    const { code, report, stderr } = await perf(h.dataDir, '--type', 'basic', '--users', '2', '--duration', '1');
    expect(code).toBe(0);
    expect(report.pass).toBe(true);
    expect(report.runs.map((r: any) => r.target)).toEqual(['GET /health', 'GET /v1.0/tenants', 'GET /v1.0/templates', 'GET /v1.0/plugins', 'GET /v1.0/admin/queues', 'GET /v1.0/admin/operations/open']);
    for (const r of report.runs) {
      expect(r.requests).toBeGreaterThan(10);
      expect(r.errorRate).toBe(0);
      expect(r.p95Ms).toBeLessThan(500);
    }
    expect(stderr).toContain('basic: GET /v1.0/tenants');
    expect(report.files).toHaveLength(3);
    for (const f of report.files) expect(existsSync(f)).toBe(true);
    const html = readFileSync(report.files[2], 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('<polyline');
  }, 60_000);

  it('stress ramps and spike reports a recovery time', async () => {
    const stress = await perf(h.dataDir, '--type', 'stress', '--users', '10', '--duration', '1');
    expect(stress.report.runs.map((r: any) => r.phase)).toContain('10 users');
    expect(stress.report).toHaveProperty('breakingPointUsers');
    const spike = await perf(h.dataDir, '--type', 'spike', '--users', '1', '--duration', '3');
    expect(spike.report.runs.map((r: any) => r.phase)).toEqual(expect.arrayContaining(['before', 'spike', 'after']));
    expect(spike.report.runs.find((r: any) => r.phase === 'spike').connections).toBe(1); // 10 users over 6 endpoints
    expect(typeof spike.report.recoverySeconds === 'number' || spike.report.recoverySeconds === null).toBe(true);
  }, 90_000);

  it('bad options are refused with the next step', async () => {
    const r = await bbws('perf-test', '--type', 'soak', '--data-dir', h.dataDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--type must be one of basic, load, stress, spike');
  });
});

describe('bbws perf-test on a platform that breaks a threshold', () => {
  let limited: Harness;
  beforeAll(async () => {
    limited = await startHarness({ BBWS_RATE_LIMIT: '1' });
  });
  afterAll(async () => limited?.stop());

  it('exits 1 and marks the runs that failed', async () => {
    const { code, report } = await perf(limited.dataDir, '--type', 'load', '--users', '6', '--duration', '2');
    expect(code).toBe(1);
    expect(report.pass).toBe(false);
    expect(report.runs.some((r: any) => !r.pass && r.errorRate > 0.01)).toBe(true);
    const text = await bbws('perf-test', '--data-dir', limited.dataDir, '--target', 'api', '--type', 'basic', '--users', '2', '--duration', '1');
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^  FAIL GET /m);
    expect(text.stdout).toMatch(/^FAIL$/m);
  }, 60_000);
});
