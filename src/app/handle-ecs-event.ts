/**
 * The ECS event handler (seed 004): one EventBridge event in, the tenant's instance state out.
 * Ignored events (other environment or cluster, no tenant, unmapped name, dated more than 5 minutes
 * ahead, duplicate, late) change nothing and say why. Safe under at-least-once delivery and any arrival order.
 */
import { applyEventToInstance, decideEvent, type EcsEvent, eventOrderTime, isNewerThanApplied, validateEcsEventShape } from '../domain/ecs-event.js';
import { BbwsError } from '../domain/errors.js';
import { StoreConflictError } from '../ports/store.js';
import { type AppDeps, isoNow } from './deps.js';
import { FINISHING_STATES, settleAwaitingOperations } from './settle-operation.js';

/** What became of one event: applied (`success`, with the tenant's new state) or `ignored`, and why. */
export interface EventResult {
  status: 'success' | 'ignored';
  reason?: string;
  tenantId?: string;
  provisioningState?: string;
}

/** Throws INVALID_EVENT when `value` is not shaped like an EventBridge ECS event. */
export function parseEcsEvent(value: unknown): EcsEvent {
  const problems = validateEcsEventShape(value);
  if (problems.length > 0) throw new BbwsError('INVALID_EVENT', undefined, { problems });
  return value as EcsEvent;
}

const MAX_ATTEMPTS = 8;

/**
 * Applies one ECS event to its tenant's instance: decided by the domain (environment, cluster,
 * tenant tag, event name), ordered by a time the sender cannot push into the future, recorded with
 * the state change in one commit (so a redelivered event is a duplicate), and retried on a
 * concurrent write up to MAX_ATTEMPTS times. Operations waiting on the new state are settled.
 * Logged and counted (`bbws_ecs_events_total`) either way; throws only when the store fails, so the
 * queue redelivers the event.
 */
export async function handleEcsEvent(deps: AppDeps, event: EcsEvent): Promise<EventResult> {
  const result = await decideAndApply(deps, event);
  deps.metrics.increment('bbws_ecs_events_total', { outcome: result.status, event: event.detail.eventName });
  deps.logger.info(
    { tenantId: result.tenantId, action: 'ECS_EVENT', eventId: event.id, eventName: event.detail.eventName, status: result.status, reason: result.reason },
    result.status === 'success' ? `applied ${event.detail.eventName}` : `ignored ${event.detail.eventName}: ${result.reason}`,
  );
  return result;
}

async function decideAndApply(deps: AppDeps, event: EcsEvent): Promise<EventResult> {
  const decision = decideEvent(event, { environment: deps.env, clusterName: deps.clusterName });
  if (decision.kind === 'ignore') return { status: 'ignored', reason: decision.reason, tenantId: decision.tenantId };
  const { tenantId } = decision;
  // Ordered and stored by a time the sender cannot push past the moment the event came in.
  const when = eventOrderTime(event.time, deps.now());
  if (when.kind === 'ignore') return { status: 'ignored', reason: when.reason, tenantId };
  const ordered: EcsEvent = { ...event, time: when.time };
  for (let attempt = 1; ; attempt++) {
    if (await deps.store.hasEvent(event.id)) return { status: 'ignored', reason: 'Duplicate event', tenantId };
    const instance = await deps.store.getInstance(tenantId);
    if (!instance) return { status: 'ignored', reason: `Unknown tenant: tenant ${tenantId} does not exist`, tenantId };
    if (!isNewerThanApplied(ordered, instance)) {
      // Nothing to record: a stale event changes nothing, so a durable commit for it would only cost
      // an fsync (73 % of shuffled deliveries in bench/events.bench.ts). A re-sent stale event is stale again.
      return { status: 'ignored', reason: 'Stale event: a newer event was already applied', tenantId };
    }
    const next = applyEventToInstance(instance, ordered, decision.eventName, decision.state, isoNow(deps));
    try {
      await deps.store.commit([
        { kind: 'putInstance', instance: next, expectedVersion: instance.version },
        { kind: 'recordEvent', eventId: event.id, tenantId, outcome: 'applied' },
      ]);
    } catch (err) {
      if (err instanceof StoreConflictError && err.which === 'event') return { status: 'ignored', reason: 'Duplicate event', tenantId };
      if (err instanceof StoreConflictError && attempt < MAX_ATTEMPTS) continue;
      throw err;
    }
    // Only these states can finish an operation: skip the lookup of open operations for the rest.
    if (FINISHING_STATES.includes(next.provisioningState)) await settleAwaitingOperations(deps, next);
    return { status: 'success', tenantId, provisioningState: next.provisioningState };
  }
}
