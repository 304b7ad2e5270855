import { describe, expect, it } from 'vitest';
import { applyEventToInstance, decideEvent, EVENT_STATE_MAPPING, eventOrderTime, isNewerThanApplied, tenantIdOf, validateEcsEventShape } from '../../src/domain/ecs-event.js';
import type { Instance } from '../../src/domain/tenant.js';
import { ecsEvent } from '../support/scripted-runtime.js';

const ctx = { environment: 'dev' as const, clusterName: 'bbws-cluster-dev' };

describe('seed 004 event mapping', () => {
  it('has exactly the 9 rows of the table', () => {
    expect(EVENT_STATE_MAPPING).toEqual({
      SERVICE_STEADY_STATE: 'ACTIVE',
      SERVICE_TASK_START_IMPAIRED: 'FAILED',
      SERVICE_DESIRED_COUNT_UPDATED: 'SCALING',
      SERVICE_DELETED: 'DEPROVISIONED',
      DEPLOYMENT_COMPLETED: 'ACTIVE',
      DEPLOYMENT_FAILED: 'FAILED',
      DEPLOYMENT_IN_PROGRESS: 'PROVISIONING',
      DEPLOYMENT_ROLLBACK_STARTED: 'ROLLING_BACK',
      DEPLOYMENT_ROLLBACK_COMPLETED: 'ACTIVE',
    });
  });

  it('decides apply / ignore with the reasons operators grep for', () => {
    expect(decideEvent(ecsEvent('dev', 'acme', 'SERVICE_STEADY_STATE'), ctx)).toEqual({ kind: 'apply', tenantId: 'acme', eventName: 'SERVICE_STEADY_STATE', state: 'ACTIVE' });
    expect(decideEvent(ecsEvent('dev', 'acme', 'SERVICE_DEPLOYMENT_COMPLETED'), ctx)).toMatchObject({ eventName: 'DEPLOYMENT_COMPLETED', state: 'ACTIVE' });
    expect(decideEvent(ecsEvent('sit', 'acme', 'SERVICE_STEADY_STATE'), ctx)).toMatchObject({ kind: 'ignore', reason: expect.stringMatching(/^Environment mismatch/) });
    const noTag = ecsEvent('dev', 'acme', 'SERVICE_STEADY_STATE');
    noTag.detail.tags = [];
    noTag.resources = ['arn:aws:ecs:r:1:service/bbws-cluster-dev/not-a-tenant-service-name'];
    expect(decideEvent(noTag, ctx)).toEqual({ kind: 'ignore', reason: 'No bbws:tenant-id tag found' });
    expect(decideEvent({ ...ecsEvent('dev', 'acme', 'SERVICE_STEADY_STATE'), source: 'aws.ec2' }, ctx)).toMatchObject({ kind: 'ignore' });
    // Region and account are not checked locally; the cluster name is.
    const otherRegion = ecsEvent('dev', 'acme', 'SERVICE_STEADY_STATE', { clusterArn: 'arn:aws:ecs:eu-west-1:999:cluster/bbws-cluster-dev' });
    expect(decideEvent(otherRegion, ctx).kind).toBe('apply');
  });

  it('finds the tenant in the tag, else in either service-name pattern, and never accepts an invalid id', () => {
    const e = ecsEvent('dev', 'acme', 'SERVICE_STEADY_STATE');
    e.detail.tags = [{ key: 'bbws:tenant-id', value: '../etc' }];
    expect(tenantIdOf(e)).toEqual({ kind: 'invalid', value: '../etc' });
    e.detail.tags = undefined;
    e.resources = ['arn:aws:ecs:r:1:service/c/prod-shop1-service'];
    expect(tenantIdOf(e)).toEqual({ kind: 'found', tenantId: 'shop1' });
    e.resources = [];
    e.detail.serviceName = 'tenant-shop2-wordpress';
    expect(tenantIdOf(e)).toEqual({ kind: 'found', tenantId: 'shop2' });
    e.detail.serviceName = 'test-verification-service';
    expect(tenantIdOf(e)).toEqual({ kind: 'missing' });
  });

  it('says the tag is missing only when it is: an invalid value is named as such, and as no tenant', () => {
    // Seed 004's own sample event: the tag is there, its value names no tenant of ours.
    const seed = ecsEvent('dev', 'x', 'SERVICE_STEADY_STATE', { serviceName: 'test-verification-service' });
    seed.resources = [];
    seed.detail.tags = [{ key: 'bbws:tenant-id', value: 'test-tenant-123' }, { key: 'bbws:environment', value: 'dev' }];
    const d = decideEvent(seed, ctx);
    expect(d).toEqual({ kind: 'ignore', reason: expect.stringContaining('tenant test-tenant-123 does not exist') });
    expect(d.kind === 'ignore' && d.reason).toMatch(/^Invalid bbws:tenant-id tag/);
    expect(d.kind === 'ignore' && d.reason).not.toMatch(/No bbws:tenant-id tag/);
    // A hostile value is quoted and cut, never echoed raw into a log line.
    seed.detail.tags = [{ key: 'bbws:tenant-id', value: `a\nb${'x'.repeat(500)}` }];
    const hostile = decideEvent(seed, ctx);
    expect(hostile.kind === 'ignore' && hostile.reason).toMatch(/^Invalid bbws:tenant-id tag: tenant "a\\nbx+…" does not exist/);
    expect(hostile.kind === 'ignore' && hostile.reason.length).toBeLessThan(200);
    seed.detail.tags = [];
    expect(decideEvent(seed, ctx)).toEqual({ kind: 'ignore', reason: 'No bbws:tenant-id tag found' });
  });

  it('orders by a time no later than when the event was received, and refuses one far ahead', () => {
    const received = Date.parse('2030-06-01T12:00:00.000Z');
    expect(eventOrderTime('2030-06-01T11:59:00Z', received)).toEqual({ kind: 'order', time: '2030-06-01T11:59:00.000Z' });
    // Clock skew between hosts: applied, but ordered as if it came when it was received.
    expect(eventOrderTime('2030-06-01T12:04:59.000Z', received)).toEqual({ kind: 'order', time: '2030-06-01T12:00:00.000Z' });
    expect(eventOrderTime('2030-06-01T12:05:00.000Z', received)).toEqual({ kind: 'order', time: '2030-06-01T12:00:00.000Z' });
    const far = eventOrderTime('2099-01-01T00:00:00Z', received);
    expect(far).toEqual({ kind: 'ignore', reason: expect.stringMatching(/^Future event: time 2099-01-01T00:00:00Z is more than 5 minutes ahead of the time received \(2030-06-01T12:00:00.000Z\)/) });
    expect(eventOrderTime('2030-06-01T12:05:00.001Z', received).kind).toBe('ignore');
  });

  it('orders by (time, id) so late events never move state backwards', () => {
    const inst = { lastEventTime: '2030-01-01T00:00:10.000Z', lastEventId: 'b' };
    expect(isNewerThanApplied({ time: '2030-01-01T00:00:09.000Z', id: 'z' }, inst)).toBe(false);
    expect(isNewerThanApplied({ time: '2030-01-01T00:00:10.000Z', id: 'a' }, inst)).toBe(false);
    expect(isNewerThanApplied({ time: '2030-01-01T00:00:10.000Z', id: 'c' }, inst)).toBe(true);
    expect(isNewerThanApplied({ time: '2030-01-01T00:00:11.000Z', id: 'a' }, inst)).toBe(true);
    expect(isNewerThanApplied({ time: '2000-01-01T00:00:00.000Z', id: 'a' }, { lastEventTime: null, lastEventId: null })).toBe(true);
  });

  it('does not let DEPLOYMENT_IN_PROGRESS pull a saga in WORKFLOW_RUNNING back to PROVISIONING', () => {
    const instance = { provisioningState: 'WORKFLOW_RUNNING', version: 3, desiredCount: 1, runningCount: 0, lastError: null } as unknown as Instance;
    const e = ecsEvent('dev', 'acme', 'DEPLOYMENT_IN_PROGRESS');
    const next = applyEventToInstance(instance, e, 'DEPLOYMENT_IN_PROGRESS', 'PROVISIONING', e.time);
    expect(next).toMatchObject({ provisioningState: 'WORKFLOW_RUNNING', workflowStatus: 'DEPLOYMENT_IN_PROGRESS', version: 4 });
    const failed = applyEventToInstance(instance, { ...e, detail: { ...e.detail, reason: 'image pull failed' } }, 'SERVICE_TASK_START_IMPAIRED', 'FAILED', e.time);
    expect(failed).toMatchObject({ provisioningState: 'FAILED', lastError: 'image pull failed' });
  });

  it('a steady state brings back a tenant FAILED by health, not one whose provisioning failed', () => {
    const e = ecsEvent('dev', 'acme', 'SERVICE_STEADY_STATE');
    const byHealth = { provisioningState: 'FAILED', workflowStatus: 'SERVICE_TASK_START_IMPAIRED', version: 3, desiredCount: 1, runningCount: 0, lastError: 'health check failed 3 times' } as unknown as Instance;
    expect(applyEventToInstance(byHealth, e, 'SERVICE_STEADY_STATE', 'ACTIVE', e.time)).toMatchObject({ provisioningState: 'ACTIVE', workflowStatus: 'SERVICE_STEADY_STATE', lastError: null, version: 4 });
    const undone = { ...byHealth, workflowStatus: 'STEP_FAILED', lastError: 'Step create-pool failed: boom' };
    expect(applyEventToInstance(undone, e, 'SERVICE_STEADY_STATE', 'ACTIVE', e.time)).toMatchObject({ provisioningState: 'FAILED', workflowStatus: 'STEP_FAILED', lastError: 'Step create-pool failed: boom', lastEventId: e.id, version: 4 });
  });

  it('validates the event shape', () => {
    expect(validateEcsEventShape(ecsEvent('dev', 'acme', 'SERVICE_STEADY_STATE'))).toEqual([]);
    expect(validateEcsEventShape(null)).toEqual(['event must be a JSON object']);
    expect(validateEcsEventShape({ id: 1, source: 'aws.ecs', 'detail-type': 'x', time: 'nope', detail: { eventName: 3, tags: 'x', desiredCount: -1 } })).toEqual([
      'id must be a non-empty string',
      'time must be an ISO date',
      'detail.eventName must be a string',
      'detail.tags must be an array of {key, value} strings',
      'detail.desiredCount must be a non-negative integer',
    ]);
  });
});
