/**
 * The served /openapi.json passes `npx @redocly/cli lint` with 0 errors, and every operation
 * documents its 2xx answer with a schema (204 excepted: it has no body).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/platform-harness.js';

const run = promisify(execFile);

describe('OpenAPI document', () => {
  let h: Harness;
  let dir: string;
  let spec: any;
  beforeAll(async () => {
    h = await startHarness();
    dir = mkdtempSync(join(tmpdir(), 'bbws-openapi-'));
    spec = (await h.request('GET', '/openapi.json', { token: null })).body;
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(spec));
  });
  afterAll(async () => {
    await h?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives every operation a 2xx response with a schema', () => {
    const missing: string[] = [];
    for (const [path, ops] of Object.entries<Record<string, any>>(spec.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const ok = Object.entries<any>(op.responses ?? {}).some(([status, r]) => /^2\d\d$/.test(status) && (status === '204' || r.content?.['application/json']?.schema));
        if (!ok) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('passes `npx @redocly/cli lint` with 0 errors', async () => {
    const file = join(dir, 'openapi.json');
    // lint exits 1 when there are errors; the JSON report says which either way.
    const out = await run('npx', ['--no', '@redocly/cli', 'lint', file, '--format=json'], { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } }).catch(
      (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
    );
    const report = JSON.parse(out.stdout) as { totals: { errors: number }; problems: Array<{ severity: string; ruleId: string; message: string; location: Array<{ pointer: string }> }> };
    const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
  }, 60_000);
});
