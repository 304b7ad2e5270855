import { describe, expect, it } from 'vitest';
import { decideEvent, validateEcsEventShape } from '../../src/domain/ecs-event.js';
import { buildLocalEcsEvent } from '../../src/adapters/runtime/local/events.js';
import { tenantUnixUser } from '../../src/adapters/runtime/local/layout.js';

describe('local runtime events', () => {
  it('are ECS-shaped events that the seed 004 handler accepts', () => {
    const now = new Date('2026-01-02T03:04:05.006Z');
    const e = buildLocalEcsEvent({ env: 'sit', tenantId: 'acme', eventName: 'DEPLOYMENT_FAILED', desiredCount: 1, runningCount: 0, reason: 'boom', now });
    expect(validateEcsEventShape(e)).toEqual([]);
    expect(e).toMatchObject({
      source: 'aws.ecs',
      'detail-type': 'ECS Deployment State Change',
      time: '2026-01-02T03:04:05.006Z',
      resources: ['arn:aws:ecs:local:000000000000:service/bbws-cluster-sit/sit-acme-service'],
      detail: { eventName: 'DEPLOYMENT_FAILED', clusterArn: 'arn:aws:ecs:local:000000000000:cluster/bbws-cluster-sit', desiredCount: 1, runningCount: 0, reason: 'boom' },
    });
    expect(decideEvent(e, { environment: 'sit', clusterName: 'bbws-cluster-sit' })).toEqual({ kind: 'apply', tenantId: 'acme', eventName: 'DEPLOYMENT_FAILED', state: 'FAILED' });
    const steady = buildLocalEcsEvent({ env: 'sit', tenantId: 'acme', eventName: 'SERVICE_STEADY_STATE', desiredCount: 1, runningCount: 1 });
    expect(steady['detail-type']).toBe('ECS Service Action');
    expect(steady.id).not.toBe(e.id);
  });

  it('tenant Unix user names stay within 32 characters and distinct', () => {
    const long1 = 'a'.repeat(32);
    const long2 = 'a'.repeat(31) + 'b';
    expect(tenantUnixUser('1a2b', 'acme')).toBe('bw1a2b-acme');
    expect(tenantUnixUser('1a2b', long1).length).toBeLessThanOrEqual(32);
    expect(tenantUnixUser('1a2b', long1)).not.toBe(tenantUnixUser('1a2b', long2));
  });
});
