/**
 * What every Queue adapter checks before it sends or receives: the SQS limits, queue names, body
 * sizes, delays, batches and receive options. Shared by the SQLite and SQS adapters (and the stores
 * whose commits enqueue), so each rejects exactly what SQS would reject, with the same error codes.
 * No I/O and no driver imports: a Lambda bundle pulls this in without SQLite.
 */
import { BbwsError } from '../../domain/errors.js';
import type { QueueDefinition } from '../../domain/queues.js';
import type { OutgoingMessage, ReceiveOptions } from '../../ports/queue.js';

/** SQS limits, enforced here so the embedded queue rejects what SQS would reject. */
export const QUEUE_LIMITS = {
  maxBodyBytes: 256 * 1024,
  maxDelaySeconds: 900,
  maxBatchEntries: 10,
  maxReceiveMessages: 10,
  maxWaitTimeSeconds: 20,
  maxVisibilityTimeoutSeconds: 12 * 3600,
} as const;

/** Indexes definitions by name and checks that every dead-letter queue they name is defined too. */
export function indexQueueDefinitions(definitions: readonly QueueDefinition[]): ReadonlyMap<string, QueueDefinition> {
  const byName = new Map<string, QueueDefinition>();
  for (const def of definitions) {
    if (byName.has(def.name)) throw new Error(`queue ${def.name} is defined twice`);
    byName.set(def.name, def);
  }
  for (const def of definitions) {
    if (def.deadLetterQueue === undefined) continue;
    if (!byName.has(def.deadLetterQueue)) throw new Error(`queue ${def.name}: dead-letter queue ${def.deadLetterQueue} is not defined`);
    if (!Number.isInteger(def.maxReceiveCount) || (def.maxReceiveCount ?? 0) < 1) {
      throw new Error(`queue ${def.name}: a dead-letter queue needs maxReceiveCount >= 1`);
    }
  }
  return byName;
}

/** Throws QUEUE_NOT_FOUND unless `name` is a defined queue. */
export function requireQueue(definitionsByName: ReadonlyMap<string, QueueDefinition>, name: string): QueueDefinition {
  const def = definitionsByName.get(name);
  if (!def) throw new BbwsError('QUEUE_NOT_FOUND', `No queue named ${JSON.stringify(name)}.`, { queue: name });
  return def;
}

function invalid(message: string, details: Record<string, unknown>): BbwsError {
  return new BbwsError('VALIDATION_FAILED', message, details);
}

/** Throws VALIDATION_FAILED unless `value` is an integer in [min, max]. */
export function requireIntegerInRange(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${field} must be an integer from ${min} to ${max}.`, { field, min, max, value });
  }
  return value;
}

/** Validates one outgoing message (queue, body size, delay) and returns its body size in bytes. */
export function validateOutgoingMessage(definitionsByName: ReadonlyMap<string, QueueDefinition>, message: OutgoingMessage): number {
  requireQueue(definitionsByName, message.queue);
  if (typeof message.body !== 'string' || message.body.length === 0) {
    throw invalid('A message body must be a non-empty string.', { field: 'body', queue: message.queue });
  }
  const bytes = Buffer.byteLength(message.body, 'utf8');
  if (bytes > QUEUE_LIMITS.maxBodyBytes) {
    throw invalid(`A message body may be at most ${QUEUE_LIMITS.maxBodyBytes} bytes.`, {
      field: 'body',
      queue: message.queue,
      bytes,
      maxBytes: QUEUE_LIMITS.maxBodyBytes,
    });
  }
  if (message.delaySeconds !== undefined) requireIntegerInRange('delaySeconds', message.delaySeconds, 0, QUEUE_LIMITS.maxDelaySeconds);
  return bytes;
}

/** Validates a batch for `sendBatch`: 1-10 entries, each valid, 256 KiB in all. */
export function validateBatch(definitionsByName: ReadonlyMap<string, QueueDefinition>, messages: readonly OutgoingMessage[]): void {
  if (!Array.isArray(messages) || messages.length === 0 || messages.length > QUEUE_LIMITS.maxBatchEntries) {
    throw invalid(`A batch holds 1 to ${QUEUE_LIMITS.maxBatchEntries} messages.`, {
      field: 'messages',
      count: Array.isArray(messages) ? messages.length : null,
    });
  }
  let total = 0;
  for (const m of messages) total += validateOutgoingMessage(definitionsByName, m);
  if (total > QUEUE_LIMITS.maxBodyBytes) {
    throw invalid(`A batch may hold at most ${QUEUE_LIMITS.maxBodyBytes} bytes in all.`, {
      field: 'messages',
      bytes: total,
      maxBytes: QUEUE_LIMITS.maxBodyBytes,
    });
  }
}

/** Validates receive options against the queue's definition; returns them with defaults applied. */
export function validateReceiveOptions(def: QueueDefinition, options: ReceiveOptions): { max: number; wait: number; visibility: number } {
  const max = requireIntegerInRange('maxMessages', options.maxMessages ?? 1, 1, QUEUE_LIMITS.maxReceiveMessages);
  const wait = options.waitTimeSeconds ?? 0;
  if (typeof wait !== 'number' || !(wait >= 0 && wait <= QUEUE_LIMITS.maxWaitTimeSeconds)) {
    throw invalid(`waitTimeSeconds must be from 0 to ${QUEUE_LIMITS.maxWaitTimeSeconds}.`, { field: 'waitTimeSeconds', value: wait });
  }
  const visibility = requireIntegerInRange(
    'visibilityTimeoutSeconds',
    options.visibilityTimeoutSeconds ?? def.visibilityTimeoutSeconds,
    0,
    QUEUE_LIMITS.maxVisibilityTimeoutSeconds,
  );
  return { max, wait, visibility };
}
