/**
 * A long-polling consumer loop over the Queue port. A handler that returns deletes the message; a
 * handler that throws leaves it to reappear after its visibility timeout, and the queue's redrive
 * policy moves it to the DLQ after maxReceiveCount receives. Stops when `signal` aborts: in-flight
 * handlers get `shutdownGraceMs` to finish; the messages of those still running are then handed
 * back to the queue (visible again at once, no backoff) and the loop returns without them, so that
 * a long job (an 18 s clone) no longer holds up a SIGTERM. Their work resumes after the restart
 * from its journal (steps are idempotent; the interrupted one runs again).
 */
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { Queue, ReceivedMessage } from '../ports/queue.js';
import { reportFields, reportMessage } from './report-line.js';
import { errorMessage } from '../domain/errors.js';

export interface ConsumerOptions {
  queue: Queue;
  queueName: string;
  logger: Logger;
  metrics: Metrics;
  /** Messages handled at once. */
  concurrency: number;
  signal: AbortSignal;
  /**
   * A failed message comes back after `retryBaseSeconds * 2^(receiveCount-1)` seconds (capped at
   * the queue's visibility timeout) instead of a whole visibility timeout: retries with backoff.
   */
  retryBaseSeconds?: number;
  /**
   * The lease on a received message, in seconds: it is renewed every third of it while the handler
   * runs, so a crashed consumer's message comes back within one lease (default 30).
   */
  leaseSeconds?: number;
  handle(message: ReceivedMessage): Promise<void>;
  /** How long a stop waits for running handlers before handing their messages back (default 2 s). */
  shutdownGraceMs?: number;
}

/** Default of {@link ConsumerOptions.shutdownGraceMs}: SIGTERM must end bbws within 10 s in all. */
export const SHUTDOWN_GRACE_MS = 2_000;

/**
 * Receives from `queueName` and runs `handle` on each message, up to `concurrency` at once,
 * renewing each message's lease while it runs; a message is deleted when `handle` succeeds and
 * comes back later when it throws (then dead-letters). Returns when `signal` aborts, after
 * handing back what is still running.
 */
export async function consumeQueue(options: ConsumerOptions): Promise<void> {
  const { queue, queueName, logger, signal } = options;
  const inFlight = new Set<Promise<void>>();
  const running = new Map<Promise<void>, ReceivedMessage>();
  while (!signal.aborted) {
    const free = options.concurrency - inFlight.size;
    if (free <= 0) {
      await Promise.race(inFlight);
      continue;
    }
    let messages: ReceivedMessage[];
    try {
      messages = await queue.receive(queueName, { maxMessages: Math.min(10, free), waitTimeSeconds: 5, visibilityTimeoutSeconds: options.leaseSeconds ?? 30, signal });
    } catch (err) {
      if (signal.aborted) break;
      logger.error({ queue: queueName, err: String(err) }, 'receive failed; retrying in 1 s');
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    for (const message of messages) {
      const job = runOne(options, message).finally(() => {
        inFlight.delete(job);
        running.delete(job);
      });
      inFlight.add(job);
      running.set(job, message);
    }
  }
  let graceTimer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((r) => (graceTimer = setTimeout(r, options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS)));
  await Promise.race([Promise.allSettled(inFlight), grace]);
  clearTimeout(graceTimer);
  // Still running: hand the messages back. The handlers are left to fail against the closed
  // store (platform.ts closes it before stopping the runtime), so they record nothing.
  const handedBack = [...running.values()];
  await Promise.allSettled(handedBack.map((m) => queue.changeVisibility(queueName, m.receiptHandle, 0)));
  if (handedBack.length) logger.warn({ queue: queueName, messageIds: handedBack.map((m) => m.messageId), status: 'HANDED_BACK' }, `stopping: ${handedBack.length} running job(s) handed back to the queue; they resume after the restart`);
}

async function runOne(options: ConsumerOptions, message: ReceivedMessage): Promise<void> {
  const { queue, queueName, logger, metrics } = options;
  const started = process.hrtime.bigint();
  let status = 'done';
  // Long work keeps its message invisible, so no other consumer starts the same work meanwhile.
  const lease = options.leaseSeconds ?? 30;
  const timer = setInterval(() => {
    queue.changeVisibility(queueName, message.receiptHandle, lease).catch(() => undefined);
  }, (lease * 1000) / 3);
  try {
    await options.handle(message);
    await queue.delete(queueName, message.receiptHandle);
  } catch (err) {
    status = 'failed';
    const backoff = Math.min(900, (options.retryBaseSeconds ?? 1) * 2 ** Math.max(0, message.receiveCount - 1));
    await queue.changeVisibility(queueName, message.receiptHandle, backoff).catch(() => undefined);
    logger.error(
      { queue: queueName, messageId: message.messageId, receiveCount: message.receiveCount, err: errorMessage(err), status: 'FAILED' },
      `message handling failed (receive ${message.receiveCount}); it will be retried with backoff, then dead-lettered`,
    );
  } finally {
    clearInterval(timer);
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    metrics.increment('bbws_jobs_total', { queue: queueName, status });
    logger.info({ ...reportFields(message.messageId, durationMs), queue: queueName, status }, reportMessage(message.messageId, durationMs));
  }
}
