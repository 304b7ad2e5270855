/**
 * A message queue with SQS semantics. Adapters: `adapters/queue/sqlite.ts` (embedded default);
 * an SQS adapter must pass the same contract suite (`test/contract/queue.contract.ts`).
 *
 * What an adapter must guarantee: at-least-once delivery (consumers are idempotent); a received
 * message is invisible for its visibility timeout and comes back after it with `receiveCount`
 * one higher; past its queue's `maxReceiveCount` it moves to the dead-letter queue; a stale
 * receipt handle is a no-op for `delete` and `changeVisibility`. No ordering is promised (SQS
 * standard queues): consumers must not rely on it.
 */
import type { QueueDefinition } from '../domain/queues.js';

export interface OutgoingMessage {
  queue: string;
  body: string;
  /** Seconds before the message becomes visible (SQS DelaySeconds, 0-900). */
  delaySeconds?: number;
}

export interface ReceivedMessage {
  messageId: string;
  /** Changes on every receive; needed to delete or change visibility. */
  receiptHandle: string;
  body: string;
  /** How many times this message has been received, this time included. */
  receiveCount: number;
  sentAt: string;
  firstReceivedAt: string | null;
}

export interface ReceiveOptions {
  /** 1-10 (default 1). */
  maxMessages?: number;
  /** Long polling: wait up to this many seconds (0-20) for a message. */
  waitTimeSeconds?: number;
  /** Overrides the queue's visibility timeout for these messages. */
  visibilityTimeoutSeconds?: number;
  /** Aborts a long poll early (shutdown). */
  signal?: AbortSignal;
}

export interface QueueStats {
  queue: string;
  /** ApproximateNumberOfMessages. */
  visible: number;
  /** ApproximateNumberOfMessagesNotVisible (in flight). */
  notVisible: number;
  /** ApproximateNumberOfMessagesDelayed. */
  delayed: number;
  /** ApproximateAgeOfOldestMessage, seconds; 0 when empty. */
  oldestAgeSeconds: number;
  deadLetterQueue: string | null;
  maxReceiveCount: number | null;
}

export interface PeekedMessage {
  messageId: string;
  body: string;
  receiveCount: number;
  sentAt: string;
  /** Where a dead-lettered message came from. */
  sourceQueue: string | null;
}

export interface Queue {
  /** Queues this adapter knows, with their redrive policies. */
  definitions(): QueueDefinition[];
  send(message: OutgoingMessage): Promise<string>;
  sendBatch(messages: OutgoingMessage[]): Promise<string[]>;
  receive(queue: string, options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  /** Deleting with a stale receipt handle (the message was received again since) is a no-op. */
  delete(queue: string, receiptHandle: string): Promise<void>;
  changeVisibility(queue: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void>;
  stats(queue: string): Promise<QueueStats>;
  /** Reads messages without receiving them (for `bbws dlq list`): no receive count, no visibility change. */
  peek(queue: string, limit: number): Promise<PeekedMessage[]>;
  /** Moves every message of a DLQ back to the queue it came from (SQS message move task). Returns the count. */
  redrive(deadLetterQueue: string): Promise<number>;
  /** Deletes every message. Returns the count. */
  purge(queue: string): Promise<number>;
  /** Drops messages older than their queue's retention period. Returns the count. */
  expire(): Promise<number>;
  close(): Promise<void>;
}
