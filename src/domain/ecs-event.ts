/**
 * ECS events as EventBridge delivers them, and seed 004's event → provisioning state mapping.
 * Pure: deciding what an event means is separate from applying it (app/handle-ecs-event.ts).
 */
import { isValidTenantId, tenantIdFromServiceName, type Environment } from './naming.js';
import type { Instance, ProvisioningState } from './tenant.js';

export interface EcsEventTag {
  key: string;
  value: string;
}

export interface EcsEvent {
  version?: string;
  id: string;
  'detail-type': string;
  source: string;
  account?: string;
  time: string;
  region?: string;
  resources?: string[];
  detail: {
    eventType?: string;
    eventName: string;
    clusterArn?: string;
    serviceName?: string;
    deploymentId?: string;
    desiredCount?: number;
    runningCount?: number;
    reason?: string;
    tags?: EcsEventTag[];
    [key: string]: unknown;
  };
}

export const ECS_DETAIL_TYPES = ['ECS Service Action', 'ECS Deployment State Change'] as const;

/** Seed 004's table, row for row. */
export const EVENT_STATE_MAPPING: Readonly<Record<string, ProvisioningState>> = {
  SERVICE_STEADY_STATE: 'ACTIVE',
  SERVICE_TASK_START_IMPAIRED: 'FAILED',
  SERVICE_DESIRED_COUNT_UPDATED: 'SCALING',
  SERVICE_DELETED: 'DEPROVISIONED',
  DEPLOYMENT_COMPLETED: 'ACTIVE',
  DEPLOYMENT_FAILED: 'FAILED',
  DEPLOYMENT_IN_PROGRESS: 'PROVISIONING',
  DEPLOYMENT_ROLLBACK_STARTED: 'ROLLING_BACK',
  DEPLOYMENT_ROLLBACK_COMPLETED: 'ACTIVE',
};

/**
 * FAILED states that a later SERVICE_STEADY_STATE ends: the service stopped answering its health
 * checks (a crash, a restart of the host) and answers again. Not STEP_FAILED and the like: there,
 * provisioning failed and was undone, and nothing would run to be healthy.
 */
const HEALTH_FAILURES: ReadonlySet<string> = new Set(['SERVICE_TASK_START_IMPAIRED']);

/** AWS's real deployment event names, which the seed abbreviates. */
const AWS_EVENT_ALIASES: Readonly<Record<string, string>> = {
  SERVICE_DEPLOYMENT_IN_PROGRESS: 'DEPLOYMENT_IN_PROGRESS',
  SERVICE_DEPLOYMENT_COMPLETED: 'DEPLOYMENT_COMPLETED',
  SERVICE_DEPLOYMENT_FAILED: 'DEPLOYMENT_FAILED',
};

export function canonicalEventName(eventName: string): string {
  return AWS_EVENT_ALIASES[eventName] ?? eventName;
}

export function mapEventToState(eventName: string): ProvisioningState | undefined {
  return EVENT_STATE_MAPPING[canonicalEventName(eventName)];
}

/** Throws nothing: returns a list of what is wrong with the shape, empty when it is an ECS event. */
export function validateEcsEventShape(value: unknown): string[] {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['event must be a JSON object'];
  const e = value as Record<string, unknown>;
  if (typeof e.id !== 'string' || e.id.length === 0 || e.id.length > 256) problems.push('id must be a non-empty string');
  if (typeof e['detail-type'] !== 'string') problems.push('detail-type must be a string');
  if (typeof e.source !== 'string') problems.push('source must be a string');
  if (typeof e.time !== 'string' || Number.isNaN(Date.parse(e.time))) problems.push('time must be an ISO date');
  if (e.resources !== undefined && (!Array.isArray(e.resources) || e.resources.some((r) => typeof r !== 'string')))
    problems.push('resources must be an array of strings');
  const d = e.detail as Record<string, unknown> | undefined;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) problems.push('detail must be an object');
  else {
    if (typeof d.eventName !== 'string') problems.push('detail.eventName must be a string');
    if (d.tags !== undefined && (!Array.isArray(d.tags) || d.tags.some((t) => typeof t?.key !== 'string' || typeof t?.value !== 'string')))
      problems.push('detail.tags must be an array of {key, value} strings');
    for (const k of ['desiredCount', 'runningCount'])
      if (d[k] !== undefined && (typeof d[k] !== 'number' || !Number.isInteger(d[k]) || (d[k] as number) < 0))
        problems.push(`detail.${k} must be a non-negative integer`);
  }
  return problems;
}

export interface EventContext {
  environment: Environment;
  clusterName: string;
}

export type EventDecision =
  | { kind: 'ignore'; reason: string; tenantId?: string }
  | { kind: 'apply'; tenantId: string; eventName: string; state: ProvisioningState };

function tag(event: EcsEvent, key: string): string | undefined {
  return event.detail.tags?.find((t) => t.key === key)?.value;
}

/** Cluster name from `arn:aws:ecs:<region>:<account>:cluster/<name>`, or a bare name. */
export function clusterNameFromArn(arn: string): string {
  const i = arn.lastIndexOf('cluster/');
  return i >= 0 ? arn.slice(i + 'cluster/'.length) : arn;
}

/** Decides what an event means for this environment, before any state is read. */
export function decideEvent(event: EcsEvent, ctx: EventContext): EventDecision {
  if (event.source !== 'aws.ecs') return { kind: 'ignore', reason: `Unsupported source: ${event.source}` };
  if (!(ECS_DETAIL_TYPES as readonly string[]).includes(event['detail-type']))
    return { kind: 'ignore', reason: `Unsupported detail-type: ${event['detail-type']}` };
  const envTag = tag(event, 'bbws:environment');
  if (envTag !== undefined && envTag !== ctx.environment)
    return { kind: 'ignore', reason: `Environment mismatch: event ${envTag}, handler ${ctx.environment}` };
  if (event.detail.clusterArn !== undefined && clusterNameFromArn(event.detail.clusterArn) !== ctx.clusterName)
    return { kind: 'ignore', reason: `Cluster mismatch: ${clusterNameFromArn(event.detail.clusterArn)} is not ${ctx.clusterName}` };
  const found = tenantIdOf(event);
  if (found.kind === 'missing') return { kind: 'ignore', reason: 'No bbws:tenant-id tag found' };
  if (found.kind === 'invalid')
    return { kind: 'ignore', reason: `Invalid bbws:tenant-id tag: tenant ${printable(found.value)} does not exist (a tenant id is 3 to 32 lower-case letters and digits)` };
  const { tenantId } = found;
  const eventName = canonicalEventName(event.detail.eventName);
  const state = EVENT_STATE_MAPPING[eventName];
  if (!state) return { kind: 'ignore', reason: `Unmapped event: ${event.detail.eventName}`, tenantId };
  return { kind: 'apply', tenantId, eventName, state };
}

export type TenantIdLookup = { kind: 'found'; tenantId: string } | { kind: 'missing' } | { kind: 'invalid'; value: string };

/**
 * Tenant id from the `bbws:tenant-id` tag, else from the service name (resources[0] or
 * detail.serviceName). A tag whose value is no tenant id is `invalid`, not `missing`: the tag wins
 * over the service name, so such an event is not applied to whatever tenant the name suggests.
 */
export function tenantIdOf(event: EcsEvent): TenantIdLookup {
  const tagged = tag(event, 'bbws:tenant-id');
  if (tagged !== undefined) return isValidTenantId(tagged) ? { kind: 'found', tenantId: tagged } : { kind: 'invalid', value: tagged };
  const candidates = [event.resources?.[0], event.detail.serviceName].filter((s): s is string => typeof s === 'string');
  for (const c of candidates) {
    const id = tenantIdFromServiceName(c);
    if (id) return { kind: 'found', tenantId: id };
  }
  return { kind: 'missing' };
}

/** A sender's value as it may go into a reason and a log line: as is when plain, else quoted and cut. */
function printable(value: string): string {
  if (/^[\x21-\x7e]{1,64}$/.test(value)) return value;
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

/** How far ahead of the receiver's clock an event's `time` may be: clock skew between hosts, no more. */
export const MAX_EVENT_TIME_AHEAD_MS = 5 * 60_000;

export type EventTimeDecision = { kind: 'ignore'; reason: string } | { kind: 'order'; time: string };

/**
 * The time an event is ordered and stored by: its own `time`, but never later than when it was
 * received. Otherwise a sender could push a tenant's last-event time into the future, and every
 * later real event would be stale. A time further ahead than clock skew explains is refused.
 */
export function eventOrderTime(eventTime: string, receivedAtMs: number): EventTimeDecision {
  const t = Date.parse(eventTime);
  const received = new Date(receivedAtMs).toISOString();
  if (t - receivedAtMs > MAX_EVENT_TIME_AHEAD_MS)
    return { kind: 'ignore', reason: `Future event: time ${printable(eventTime)} is more than 5 minutes ahead of the time received (${received}); check the sender's clock` };
  return { kind: 'order', time: t > receivedAtMs ? received : new Date(t).toISOString() };
}

/** True when (time, id) is after the last applied event: late events never move state backwards. */
export function isNewerThanApplied(event: Pick<EcsEvent, 'time' | 'id'>, instance: Pick<Instance, 'lastEventTime' | 'lastEventId'>): boolean {
  if (!instance.lastEventTime) return true;
  const t = Date.parse(event.time);
  const last = Date.parse(instance.lastEventTime);
  if (t !== last) return t > last;
  return event.id > (instance.lastEventId ?? '');
}

/**
 * The instance after applying a mapped event. A DEPLOYMENT_IN_PROGRESS (→ PROVISIONING) that arrives
 * after the saga moved on to COMMITTING or WORKFLOW_RUNNING is progress of that same deployment:
 * it is recorded in workflowStatus and does not move the state back.
 */
export function applyEventToInstance(instance: Instance, event: EcsEvent, eventName: string, state: ProvisioningState, now: string): Instance {
  const keepSagaPhase = state === 'PROVISIONING' && (instance.provisioningState === 'COMMITTING' || instance.provisioningState === 'WORKFLOW_RUNNING');
  // Only a tenant that the runtime reported unhealthy comes back with a steady-state report; one
  // whose provisioning failed (and was undone) stays FAILED until an operation runs again.
  const stayFailed = instance.provisioningState === 'FAILED' && state === 'ACTIVE' && !HEALTH_FAILURES.has(instance.workflowStatus ?? '');
  if (stayFailed) return { ...instance, lastEventTime: event.time, lastEventId: event.id, updatedAt: now, version: instance.version + 1 };
  const failed = state === 'FAILED';
  return {
    ...instance,
    provisioningState: keepSagaPhase ? instance.provisioningState : state,
    workflowStatus: eventName,
    desiredCount: event.detail.desiredCount ?? instance.desiredCount,
    runningCount: event.detail.runningCount ?? (state === 'DEPROVISIONED' ? 0 : instance.runningCount),
    lastError: failed ? (event.detail.reason ?? `${eventName} reported by the runtime`) : state === 'ACTIVE' ? null : instance.lastError,
    lastEventTime: event.time,
    lastEventId: event.id,
    updatedAt: now,
    version: instance.version + 1,
  };
}
