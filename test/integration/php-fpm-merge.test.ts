/**
 * Merging nursery masters into a shard (real php-fpm): the merged tenants answer from the new
 * master at once, and the replaced masters are stopped only after a grace and one at a time — a
 * burst of stops stalled every other tenant's requests (docs/benchmarks.md, "neighbour").
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, waitFor } from '../../src/adapters/runtime/local/supervisor.js';
import { runSteps, spec, startTestRuntime, type TestRuntime } from '../support/local-runtime-harness.js';

const GRACE_MS = 1_500;

/** Status of `GET /` for `host` through the edge. */
function statusOf(t: TestRuntime, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: t.edgePort, path: '/', headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('php-fpm nursery merge', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('dev', { nurseryLimit: 3, mergedRetireGraceMs: GRACE_MS });
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('serves the merged tenants from the new master, then stops the replaced masters after the grace, one at a time', async () => {
    const tenants = ['mergea', 'mergeb', 'mergec'];
    for (const tenant of tenants.slice(0, 2)) await runSteps(t.runtime.provisionSteps(spec(tenant)));
    const nurseries = t.runtime.phpFpm.masters().map((m) => m.status().pid!);
    expect(nurseries).toHaveLength(2);

    // The third nursery reaches the limit: all three are merged into one shard in the background.
    await runSteps(t.runtime.provisionSteps(spec('mergec')));
    nurseries.push(...t.runtime.phpFpm.masters().map((m) => m.status().pid!).filter((p) => !nurseries.includes(p)));
    expect(nurseries).toHaveLength(3);
    await waitFor('the merge', async () => {
      if (t.runtime.phpFpm.masters().length !== 1) throw new Error('not merged yet');
    }, 60_000, 20);
    const mergedAt = Date.now();
    const shard = (await t.runtime.phpFpm.getPool('dev-mergea-service'))!.shard;
    for (const tenant of tenants) expect((await t.runtime.phpFpm.getPool(`dev-${tenant}-service`))!.shard).toBe(shard);
    for (const tenant of tenants) expect(await statusOf(t, `${tenant}.wpdev.localhost`)).toBe(302);

    // Replaced masters: still running during the grace, then gone one after another.
    const stoppedAt = new Map<number, number>();
    await waitFor('the replaced masters to stop', async () => {
      for (const pid of nurseries) if (!stoppedAt.has(pid) && !isAlive(pid)) stoppedAt.set(pid, Date.now());
      if (stoppedAt.size < nurseries.length) throw new Error('still running');
    }, 60_000, 10);
    const times = [...stoppedAt.values()].sort((a, b) => a - b);
    expect(times[0]! - mergedAt).toBeGreaterThanOrEqual(GRACE_MS - 100);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(200);
    await t.runtime.phpFpm.settled();
    for (const tenant of tenants) expect(await statusOf(t, `${tenant}.wpdev.localhost`)).toBe(302);
  });
});
