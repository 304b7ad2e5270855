/**
 * The background roles of the platform: the provisioning worker (saga), the ECS event worker and
 * the reconciler. Each runs until its signal aborts.
 */
import { parseEcsEvent, handleEcsEvent } from './handle-ecs-event.js';
import { consumeQueue } from './consume-queue.js';
import type { AppDeps, WorkerDeps } from './deps.js';
import { parseProvisioningMessage } from './provisioning-message.js';
import { runOperation } from './run-operation.js';
import { reconcile } from './reconcile.js';

/** Carries out operations from the provisioning queue, many tenants in parallel. */
export function runProvisioningWorker(deps: WorkerDeps, signal: AbortSignal, options: { concurrency?: number; leaseSeconds?: number } = {}): Promise<void> {
  return consumeQueue({
    queue: deps.queue,
    queueName: deps.queues.tenantProvisioning,
    logger: deps.logger,
    metrics: deps.metrics,
    concurrency: options.concurrency ?? 8,
    leaseSeconds: options.leaseSeconds,
    signal,
    async handle(message) {
      const body = parseProvisioningMessage(message.body);
      // A message we cannot read would fail forever: let it go to the DLQ after its retries.
      if (!body) throw new Error(`unreadable provisioning message ${message.messageId}`);
      await runOperation(deps, body.operationId);
    },
  });
}

/**
 * Applies ECS events from the events queue (the runtime's reports, and events that failed when
 * posted to the API). Failures are retried, then land in `bbws-ecs-events-dlq-<env>`.
 */
export function runEventWorker(deps: AppDeps, signal: AbortSignal, concurrency = 4): Promise<void> {
  return consumeQueue({
    queue: deps.queue,
    queueName: deps.queues.ecsEvents,
    logger: deps.logger,
    metrics: deps.metrics,
    concurrency,
    signal,
    async handle(message) {
      await handleEcsEvent(deps, parseEcsEvent(JSON.parse(message.body)));
    },
  });
}

/** Runs the reconciler every `intervalMs` until aborted. */
export async function runReconciler(deps: AppDeps, signal: AbortSignal, intervalMs = 10_000): Promise<void> {
  while (!signal.aborted) {
    try {
      await reconcile(deps);
    } catch (err) {
      deps.logger.error({ action: 'RECONCILE', err: err instanceof Error ? err.message : String(err) }, 'reconcile pass failed');
    }
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, intervalMs);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}
