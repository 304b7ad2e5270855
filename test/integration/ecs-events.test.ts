import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_STATE_MAPPING } from '../../src/domain/ecs-event.js';
import { ecsEvent } from '../support/scripted-runtime.js';
import { startHarness, type Harness } from '../support/platform-harness.js';

describe('POST /v1.0/events/ecs (seed 004)', () => {
  let h: Harness;
  // Event times a little ahead of the real clock and increasing: newer than the runtime's own
  // reports, and within the clock skew the handler accepts (it orders them by when they arrived).
  let clock = 0;
  const next = () => new Date((clock += 1000));
  beforeAll(async () => {
    h = await startHarness();
    const res = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'evt' } });
    await h.waitForOperation(res.body.operationId);
    clock = Date.now();
  });
  afterAll(async () => {
    await h?.stop();
  });
  const post = (event: unknown) => h.request('POST', '/v1.0/events/ecs', { body: event });
  const state = async () => (await h.request('GET', '/v1.0/tenants/evt/instance')).body;

  it("applies each of the table's 9 rows", async () => {
    for (const [eventName, expected] of Object.entries(EVENT_STATE_MAPPING)) {
      const res = await post(ecsEvent('dev', 'evt', eventName, {}, next()));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'success', tenantId: 'evt', provisioningState: expected });
      expect((await state()).provisioningState).toBe(expected);
    }
  });

  it("accepts AWS's SERVICE_DEPLOYMENT_* names", async () => {
    for (const [name, expected] of [['SERVICE_DEPLOYMENT_FAILED', 'FAILED'], ['SERVICE_DEPLOYMENT_IN_PROGRESS', 'PROVISIONING'], ['SERVICE_DEPLOYMENT_COMPLETED', 'ACTIVE']]) {
      const res = await post(ecsEvent('dev', 'evt', name, {}, next()));
      expect(res.body).toMatchObject({ status: 'success', provisioningState: expected });
    }
  });

  it('takes the tenant from the service name when there is no tag (real ECS events carry none)', async () => {
    for (const resource of ['arn:aws:ecs:af-south-1:1:service/bbws-cluster-dev/dev-evt-service', 'arn:aws:ecs:af-south-1:1:service/bbws-cluster-dev/tenant-evt-wordpress']) {
      const e = ecsEvent('dev', 'evt', 'SERVICE_STEADY_STATE', {}, next());
      e.detail.tags = undefined;
      e.resources = [resource];
      expect((await post(e)).body).toMatchObject({ status: 'success', tenantId: 'evt' });
    }
  });

  it('ignores, with a reason, what is not ours', async () => {
    const before = await state();
    const seedTest = {
      version: '0', id: 'test-event-id', 'detail-type': 'ECS Service Action', source: 'aws.ecs', account: '536580886816', time: '2025-01-25T12:00:00Z', region: 'af-south-1', resources: [],
      detail: { eventType: 'INFO', eventName: 'SERVICE_STEADY_STATE', clusterArn: 'arn:aws:ecs:af-south-1:536580886816:cluster/bbws-cluster-dev', serviceName: 'test-verification-service', tags: [{ key: 'bbws:tenant-id', value: 'test-tenant-123' }, { key: 'bbws:environment', value: 'dev' }] },
    };
    const seedAnswer = (await post(seedTest)).body;
    expect(seedAnswer).toEqual({ status: 'ignored', reason: expect.stringContaining('tenant test-tenant-123 does not exist') });
    expect(seedAnswer.reason).not.toMatch(/No bbws:tenant-id tag/);
    const sit = ecsEvent('dev', 'evt', 'SERVICE_DELETED', {}, next());
    sit.detail.tags = [{ key: 'bbws:tenant-id', value: 'evt' }, { key: 'bbws:environment', value: 'sit' }];
    expect((await post(sit)).body.reason).toMatch(/^Environment mismatch/);
    const otherCluster = ecsEvent('dev', 'evt', 'SERVICE_DELETED', { clusterArn: 'arn:aws:ecs:af-south-1:1:cluster/someone-else' }, next());
    expect((await post(otherCluster)).body.reason).toMatch(/^Cluster mismatch/);
    const unknown = ecsEvent('dev', 'evt', 'SERVICE_SOMETHING_NEW', {}, next());
    expect((await post(unknown)).body).toMatchObject({ status: 'ignored', reason: 'Unmapped event: SERVICE_SOMETHING_NEW' });
    const noTenant = ecsEvent('dev', 'nosuchtenant', 'SERVICE_DELETED', {}, next());
    expect((await post(noTenant)).body).toMatchObject({ status: 'ignored', reason: 'Unknown tenant: tenant nosuchtenant does not exist' });
    expect(await state()).toEqual(before);
  });

  it('a duplicate event id changes nothing; an older event never moves state backwards', async () => {
    const deleted = ecsEvent('dev', 'evt', 'SERVICE_DELETED', {}, next());
    expect((await post(deleted)).body.status).toBe('success');
    const after = await state();
    const dup = await post({ ...ecsEvent('dev', 'evt', 'SERVICE_STEADY_STATE', {}, next()), id: deleted.id });
    expect(dup.body).toMatchObject({ status: 'ignored', reason: 'Duplicate event' });
    const late = await post(ecsEvent('dev', 'evt', 'SERVICE_STEADY_STATE', {}, new Date(clock - 60_000)));
    expect(late.body).toMatchObject({ status: 'ignored', reason: 'Stale event: a newer event was already applied' });
    expect(await state()).toEqual(after);
    expect(after.provisioningState).toBe('DEPROVISIONED');
  });

  it('a future-dated event changes nothing and says why; later real events still apply', async () => {
    const before = await state();
    const future = ecsEvent('dev', 'evt', 'SERVICE_DELETED', {}, new Date(Date.now() + 365 * 86_400_000));
    const res = await post(future);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ignored', tenantId: 'evt', reason: expect.stringMatching(/^Future event: time \S+ is more than 5 minutes ahead of the time received/) });
    expect(await state()).toEqual(before);
    expect(await h.platform.deps.store.hasEvent(future.id)).toBe(false);
    // A sender's clock a little ahead: applied, but stored as the time it was received, so the
    // next real event (dated now, behind that sender's clock) is not stale.
    const sentAt = Date.now();
    const skewed = await post(ecsEvent('dev', 'evt', 'SERVICE_TASK_START_IMPAIRED', {}, new Date(Date.now() + 4 * 60_000)));
    expect(skewed.body).toMatchObject({ status: 'success', provisioningState: 'FAILED' });
    const stored = await h.platform.deps.store.getInstance('evt');
    expect(Date.parse(stored!.lastEventTime!)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(stored!.lastEventTime!)).toBeGreaterThanOrEqual(sentAt);
    await new Promise((r) => setTimeout(r, 5));
    const real = await post(ecsEvent('dev', 'evt', 'SERVICE_STEADY_STATE'));
    expect(real.body).toMatchObject({ status: 'success', provisioningState: 'ACTIVE' });
    clock = Date.now() + 1000;
  });

  it('an event that keeps failing is retried, lands in bbws-ecs-events-dlq-dev, and can be inspected, redriven and purged', async () => {
    const { queue, queues } = h.platform.deps;
    // A message on the events queue whose handling throws: unparseable as an ECS event.
    await queue.send({ queue: queues.ecsEvents, body: '{"not": "an event"}' });
    const dlq = await h.waitFor('message in the DLQ', async () => {
      const s = await h.request('GET', '/v1.0/admin/queues');
      const d = s.body.items.find((q: any) => q.queue === 'bbws-ecs-events-dlq-dev');
      return d.visible > 0 ? d : undefined;
    }, 30_000);
    expect(dlq.visible).toBe(1);
    const peek = await h.request('GET', '/v1.0/admin/queues/bbws-ecs-events-dlq-dev/messages');
    expect(peek.body.items[0]).toMatchObject({ body: '{"not": "an event"}', sourceQueue: 'bbws-ecs-events-dev' });
    const redrive = await h.request('POST', '/v1.0/admin/queues/bbws-ecs-events-dlq-dev/redrive');
    expect(redrive.body.moved).toBe(1);
    // Back on its source queue it is retried again (it is still broken), and dead-lettered again.
    await h.waitFor('the message back in the DLQ', async () => {
      const s = await h.request('GET', '/v1.0/admin/queues');
      return s.body.items.find((q: any) => q.queue === 'bbws-ecs-events-dlq-dev').visible === 1;
    }, 30_000);
    const purged = await h.request('POST', '/v1.0/admin/queues/bbws-ecs-events-dlq-dev/purge');
    expect(purged.body.purged).toBe(1);
  }, 60_000);
});
