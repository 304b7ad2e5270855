/**
 * The Queue port on Amazon SQS (AWS SDK v3), with the queue names and redrive policies of the
 * seeds (`queueDefinitions(env)`: maxReceiveCount 3 into the DLQs). Tested on fauxqs
 * (test/contract/queue.sqs.test.ts); docs/aws.md lists where SQS, or the emulator, differs.
 *
 * - Receipt handles are SQS's own, wrapped as `s.<base64url>` so a string this adapter never
 *   issued is a VALIDATION_FAILED before any call.
 * - `peek` has no SQS call: it receives the messages and releases them at once (visibility 0),
 *   so each look adds one to a message's receive count (reported net of that look).
 * - `stats().oldestAgeSeconds` is CloudWatch's ApproximateAgeOfOldestMessage, not a queue
 *   attribute: always 0 here.
 * - `redrive` starts a message move task (StartMessageMoveTask) and waits for it; where the
 *   endpoint lacks that call (fauxqs) it moves the messages itself: receive, send, delete, each
 *   to the queue its `bbwsQueue` attribute names (every send sets it), since fauxqs omits
 *   DeadLetterQueueSourceArn.
 * - `expire` returns 0: SQS drops messages past MessageRetentionPeriod itself.
 */
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { BbwsError } from '../../domain/errors.js';
import type { QueueDefinition } from '../../domain/queues.js';
import type { OutgoingMessage, PeekedMessage, Queue, QueueStats, ReceivedMessage } from '../../ports/queue.js';
import { indexQueueDefinitions, QUEUE_LIMITS, requireIntegerInRange, requireQueue, validateBatch, validateOutgoingMessage, validateReceiveOptions } from '../queue/message-rules.js';

export interface SqsQueueOptions {
  client: SQSClient;
  definitions: readonly QueueDefinition[];
  /** Creates missing queues with their attributes and redrive policies (default true). */
  createQueues?: boolean;
  /** How long `redrive` waits for a message move task to finish (default 60 s). */
  moveTaskTimeoutMs?: number;
}

interface QueueRef {
  def: QueueDefinition;
  url: string;
  arn: string;
}

const HANDLE_PREFIX = 's.';
const wrapHandle = (raw: string) => HANDLE_PREFIX + Buffer.from(raw, 'utf8').toString('base64url');

function unwrapHandle(handle: string): string {
  if (typeof handle !== 'string' || !handle.startsWith(HANDLE_PREFIX) || !/^[A-Za-z0-9_-]{4,}$/.test(handle.slice(2))) {
    throw new BbwsError('VALIDATION_FAILED', 'The receipt handle is not valid.', { field: 'receiptHandle' });
  }
  return Buffer.from(handle.slice(2), 'base64url').toString('utf8');
}

const errorName = (err: unknown) => (err as { name?: string; Code?: string }).name ?? '';
/** What SQS answers for a handle that is no longer the current one: nothing to change. */
const STALE_HANDLE_ERRORS = new Set(['MessageNotInflight', 'ReceiptHandleIsInvalid', 'InvalidParameterValue']);
const MOVE_TASK_UNSUPPORTED = new Set(['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException', 'InvalidActionException']);

const SYSTEM_ATTRIBUTES = ['ApproximateReceiveCount', 'SentTimestamp', 'ApproximateFirstReceiveTimestamp', 'DeadLetterQueueSourceArn'] as const;
/**
 * Every message this adapter sends names its queue in this attribute, which SQS keeps when it moves
 * the message to a DLQ: a redrive by hand then finds the source of a dead letter in a DLQ shared by
 * several queues where the endpoint omits DeadLetterQueueSourceArn (fauxqs).
 */
const SOURCE_ATTRIBUTE = 'bbwsQueue';
const sourceAttribute = (queue: string) => ({ [SOURCE_ATTRIBUTE]: { DataType: 'String', StringValue: queue } });
const iso = (ms: string | undefined) => (ms === undefined ? null : new Date(Number(ms)).toISOString());

/** Creates (or finds) every defined queue and returns the adapter. */
export async function createSqsQueue(options: SqsQueueOptions): Promise<Queue> {
  const { client } = options;
  const definitions = [...options.definitions];
  const byName = indexQueueDefinitions(definitions);
  const refs = new Map<string, QueueRef>();
  // DLQs first: a source queue's redrive policy names its DLQ's ARN.
  const ordered = [...definitions].sort((a, b) => Number(a.deadLetterQueue !== undefined) - Number(b.deadLetterQueue !== undefined));
  for (const def of ordered) {
    const attributes: Record<string, string> = {
      VisibilityTimeout: String(def.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(Math.max(60, def.retentionSeconds)),
    };
    if (def.deadLetterQueue !== undefined) {
      attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: refs.get(def.deadLetterQueue)!.arn, maxReceiveCount: def.maxReceiveCount });
    }
    const created = await client.send(new CreateQueueCommand({ QueueName: def.name, Attributes: options.createQueues === false ? undefined : attributes }));
    const url = created.QueueUrl!;
    const got = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    refs.set(def.name, { def, url, arn: got.Attributes!.QueueArn! });
  }
  const byArn = new Map([...refs.values()].map((r) => [r.arn, r]));
  /** A DLQ fed by exactly one queue: where its messages came from, when SQS does not say. */
  const soleSource = (dlq: string) => {
    const sources = definitions.filter((d) => d.deadLetterQueue === dlq);
    return sources.length === 1 ? sources[0].name : null;
  };

  let closed = false;
  const closing = new AbortController();
  const ref = (name: string) => {
    if (closed) throw new Error('the SQS queue adapter is closed');
    requireQueue(byName, name);
    return refs.get(name)!;
  };

  /** Gives received messages back at once (visibility 0); a handle gone stale meanwhile is fine. */
  async function release(r: QueueRef, messages: readonly Message[]): Promise<void> {
    for (const m of messages) {
      try {
        await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: r.url, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
      } catch (err) {
        if (!STALE_HANDLE_ERRORS.has(errorName(err))) throw err;
      }
    }
  }

  /**
   * One ReceiveMessage call. An abort (the caller's signal, or close) resolves with nothing at once;
   * the HTTP request is left to finish rather than cut, because SQS may already have claimed
   * messages for it: those are released (visibility 0) instead of staying hidden for a timeout.
   */
  async function receiveRaw(r: QueueRef, max: number, wait: number, visibility: number, signal?: AbortSignal): Promise<Message[]> {
    const abort = signal ? AbortSignal.any([signal, closing.signal]) : closing.signal;
    if (abort.aborted) return [];
    const request = client
      .send(
        new ReceiveMessageCommand({
          QueueUrl: r.url,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: Math.ceil(wait),
          VisibilityTimeout: visibility,
          MessageSystemAttributeNames: [...SYSTEM_ATTRIBUTES],
          MessageAttributeNames: [SOURCE_ATTRIBUTE],
        }),
      )
      .then((out) => out.Messages ?? []);
    let onAbort: () => void = () => {};
    const aborted = new Promise<'aborted'>((resolve) => {
      onAbort = () => resolve('aborted');
      abort.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const first = await Promise.race([request, aborted]);
      if (first !== 'aborted') return first;
      request.then((late) => release(r, late)).catch(() => {});
      return [];
    } finally {
      abort.removeEventListener('abort', onAbort);
    }
  }

  const sourceOf = (r: QueueRef, m: Message) => {
    const arn = m.Attributes?.DeadLetterQueueSourceArn;
    if (arn) return byArn.get(arn)?.def.name ?? null;
    // Only a queue that dead-letters into this DLQ: an attribute naming another is not believed.
    const named = m.MessageAttributes?.[SOURCE_ATTRIBUTE]?.StringValue;
    if (named && byName.get(named)?.deadLetterQueue === r.def.name) return named;
    return soleSource(r.def.name);
  };

  async function moveByHand(dlq: QueueRef): Promise<number> {
    let moved = 0;
    const kept = new Map<string, Message>();
    for (;;) {
      const batch = await receiveRaw(dlq, 10, 0, 60);
      const fresh = batch.filter((m) => !kept.has(m.MessageId!));
      if (fresh.length === 0) break;
      for (const m of fresh) {
        const source = sourceOf(dlq, m);
        // A message whose source is unknown stays in the DLQ for inspection.
        if (source === null || !refs.has(source)) {
          kept.set(m.MessageId!, m);
          continue;
        }
        // Sent before it is deleted: a crash in between redelivers it (at least once), never loses it.
        await client.send(new SendMessageCommand({ QueueUrl: refs.get(source)!.url, MessageBody: m.Body!, MessageAttributes: sourceAttribute(source) }));
        await client.send(new DeleteMessageCommand({ QueueUrl: dlq.url, ReceiptHandle: m.ReceiptHandle! }));
        moved++;
      }
    }
    await release(dlq, [...kept.values()]);
    return moved;
  }

  async function moveTask(dlq: QueueRef): Promise<number | null> {
    try {
      await client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
    } catch (err) {
      if (MOVE_TASK_UNSUPPORTED.has(errorName(err))) return null;
      throw err;
    }
    const deadline = Date.now() + (options.moveTaskTimeoutMs ?? 60_000);
    for (;;) {
      const { Results = [] } = await client.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 1 }));
      const task = Results[0];
      if (task?.Status === 'COMPLETED') return task.ApproximateNumberOfMessagesMoved ?? 0;
      if (task?.Status === 'FAILED' || task?.Status === 'CANCELLED') {
        throw new BbwsError('QUEUE_UNAVAILABLE', `The message move task of ${dlq.def.name} ended ${task.Status}: ${task.FailureReason ?? 'no reason given'}.`);
      }
      if (Date.now() > deadline) {
        throw new BbwsError('QUEUE_UNAVAILABLE', `The message move task of ${dlq.def.name} is still running; check again with \`bbws queues stats\`.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  const adapter: Queue = {
    definitions: () => definitions.map((d) => ({ ...d })),

    async send(message: OutgoingMessage): Promise<string> {
      validateOutgoingMessage(byName, message);
      const out = await client.send(
        new SendMessageCommand({ QueueUrl: ref(message.queue).url, MessageBody: message.body, DelaySeconds: message.delaySeconds, MessageAttributes: sourceAttribute(message.queue) }),
      );
      return out.MessageId!;
    },

    async sendBatch(messages: OutgoingMessage[]): Promise<string[]> {
      validateBatch(byName, messages);
      const ids: string[] = new Array(messages.length);
      const groups = new Map<string, number[]>();
      messages.forEach((m, i) => groups.set(m.queue, [...(groups.get(m.queue) ?? []), i]));
      for (const [queue, indexes] of groups) {
        const out = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: ref(queue).url,
            Entries: indexes.map((i) => ({ Id: String(i), MessageBody: messages[i].body, DelaySeconds: messages[i].delaySeconds, MessageAttributes: sourceAttribute(queue) })),
          }),
        );
        if (out.Failed && out.Failed.length > 0) {
          throw new BbwsError('QUEUE_UNAVAILABLE', `SQS refused ${out.Failed.length} message(s) of the batch: ${out.Failed[0].Message ?? out.Failed[0].Code}.`);
        }
        for (const ok of out.Successful ?? []) ids[Number(ok.Id)] = ok.MessageId!;
      }
      return ids;
    },

    async receive(queue, receiveOptions = {}): Promise<ReceivedMessage[]> {
      const r = ref(queue);
      const { max, wait, visibility } = validateReceiveOptions(r.def, receiveOptions);
      const raw = await receiveRaw(r, max, wait, visibility, receiveOptions.signal);
      return raw.map((m) => ({
        messageId: m.MessageId!,
        receiptHandle: wrapHandle(m.ReceiptHandle!),
        body: m.Body ?? '',
        receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
        sentAt: iso(m.Attributes?.SentTimestamp) ?? new Date().toISOString(),
        firstReceivedAt: iso(m.Attributes?.ApproximateFirstReceiveTimestamp),
      }));
    },

    async delete(queue, receiptHandle) {
      const r = ref(queue);
      const raw = unwrapHandle(receiptHandle);
      try {
        await client.send(new DeleteMessageCommand({ QueueUrl: r.url, ReceiptHandle: raw }));
      } catch (err) {
        if (!STALE_HANDLE_ERRORS.has(errorName(err))) throw err;
      }
    },

    async changeVisibility(queue, receiptHandle, visibilityTimeoutSeconds) {
      const r = ref(queue);
      const raw = unwrapHandle(receiptHandle);
      requireIntegerInRange('visibilityTimeoutSeconds', visibilityTimeoutSeconds, 0, QUEUE_LIMITS.maxVisibilityTimeoutSeconds);
      try {
        await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: r.url, ReceiptHandle: raw, VisibilityTimeout: visibilityTimeoutSeconds }));
      } catch (err) {
        if (!STALE_HANDLE_ERRORS.has(errorName(err))) throw err;
      }
    },

    async stats(queue): Promise<QueueStats> {
      const r = ref(queue);
      const out = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: r.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      const a = out.Attributes ?? {};
      return {
        queue,
        visible: Number(a.ApproximateNumberOfMessages ?? 0),
        notVisible: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
        oldestAgeSeconds: 0,
        deadLetterQueue: r.def.deadLetterQueue ?? null,
        maxReceiveCount: r.def.maxReceiveCount ?? null,
      };
    },

    async peek(queue, limit): Promise<PeekedMessage[]> {
      const r = ref(queue);
      requireIntegerInRange('limit', limit, 1, 1000);
      const seen = new Map<string, PeekedMessage>();
      const looked: Message[] = [];
      // Hidden while the look lasts (so no message is counted twice), then released together.
      while (seen.size < limit) {
        const batch = await receiveRaw(r, Math.min(10, limit - seen.size), 0, 30);
        const fresh = batch.filter((m) => !seen.has(m.MessageId!));
        looked.push(...batch);
        if (fresh.length === 0) break;
        for (const m of fresh) {
          seen.set(m.MessageId!, {
            messageId: m.MessageId!,
            body: m.Body ?? '',
            receiveCount: Math.max(0, Number(m.Attributes?.ApproximateReceiveCount ?? 1) - 1),
            sentAt: iso(m.Attributes?.SentTimestamp) ?? new Date().toISOString(),
            sourceQueue: sourceOf(r, m),
          });
        }
      }
      await release(r, looked);
      return [...seen.values()].slice(0, limit);
    },

    async redrive(deadLetterQueue) {
      const dlq = ref(deadLetterQueue);
      return (await moveTask(dlq)) ?? (await moveByHand(dlq));
    },

    async purge(queue) {
      const r = ref(queue);
      const before = await adapter.stats(queue);
      // SQS purges asynchronously (up to 60 s) and allows one purge per queue per 60 s.
      await client.send(new PurgeQueueCommand({ QueueUrl: r.url }));
      return before.visible + before.notVisible + before.delayed;
    },

    expire: async () => 0,

    async close() {
      closed = true;
      closing.abort();
    },
  };
  return adapter;
}
