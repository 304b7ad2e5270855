/**
 * ECS-shaped events (seed 004) for what happens to local services, so the same event handler
 * serves the local runtime and ECS. The ARNs use region `local` and account 000000000000.
 */
import { randomUUID } from 'node:crypto';
import type { EcsEvent } from '../../../domain/ecs-event.js';
import { names, type Environment } from '../../../domain/naming.js';

export type LocalEventName =
  | 'DEPLOYMENT_IN_PROGRESS'
  | 'DEPLOYMENT_FAILED'
  | 'SERVICE_STEADY_STATE'
  | 'SERVICE_DESIRED_COUNT_UPDATED'
  | 'SERVICE_TASK_START_IMPAIRED'
  | 'SERVICE_DELETED';

const DEPLOYMENT_EVENTS = new Set<LocalEventName>(['DEPLOYMENT_IN_PROGRESS', 'DEPLOYMENT_FAILED']);

export interface LocalEventInput {
  env: Environment;
  tenantId: string;
  eventName: LocalEventName;
  desiredCount: number;
  runningCount: number;
  reason?: string;
  /** Injected in tests; defaults to now. */
  now?: Date;
}

export function buildLocalEcsEvent(e: LocalEventInput): EcsEvent {
  const cluster = names.clusterName(e.env);
  const service = names.serviceName(e.env, e.tenantId);
  const deployment = DEPLOYMENT_EVENTS.has(e.eventName);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': deployment ? 'ECS Deployment State Change' : 'ECS Service Action',
    source: 'aws.ecs',
    account: '000000000000',
    time: (e.now ?? new Date()).toISOString(),
    region: 'local',
    resources: [`arn:aws:ecs:local:000000000000:service/${cluster}/${service}`],
    detail: {
      eventType: e.eventName === 'DEPLOYMENT_FAILED' || e.eventName === 'SERVICE_TASK_START_IMPAIRED' ? 'ERROR' : 'INFO',
      eventName: e.eventName,
      clusterArn: `arn:aws:ecs:local:000000000000:cluster/${cluster}`,
      serviceName: service,
      desiredCount: e.desiredCount,
      runningCount: e.runningCount,
      ...(e.reason !== undefined ? { reason: e.reason } : {}),
      tags: [
        { key: 'bbws:tenant-id', value: e.tenantId },
        { key: 'bbws:environment', value: e.env },
      ],
    },
  };
}
