/**
 * What receivers can check and when a failed attempt is tried again: the HMAC-SHA256 signature of
 * a delivery (`X-BBWS-Signature`, docs/webhooks.md) and the exponential backoff with jitter.
 */
import { createHmac } from 'node:crypto';
import { errorMessage } from '../../domain/errors.js';

export interface WebhookRetryPolicy {
  /** Delay before the 2nd attempt; doubles per attempt. Default 1000. */
  baseMs?: number;
  /** Attempts in all, the first included. Default 6 (waits of ~1, 2, 4, 8, 16 s). */
  maxAttempts?: number;
  /** Upper bound of one wait. Default 5 minutes. */
  maxDelayMs?: number;
}

const MAX_ERROR_LENGTH = 500;

/** `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>"): the `X-BBWS-Signature` header. */
export function signWebhookBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Wait after attempt `attempt` (1-based) failed: baseMs·2^(attempt-1), ±20 % jitter so receivers
 * that came back up are not hit by every queued delivery in the same millisecond, capped.
 */
export function retryDelayMs(attempt: number, policy: Required<WebhookRetryPolicy>, random: () => number = Math.random): number {
  const exponential = policy.baseMs * 2 ** Math.min(attempt - 1, 30);
  return Math.round(Math.min(policy.maxDelayMs, exponential * (0.8 + 0.4 * random())));
}

/** An error as one short line (for errors that carry the useful part in `cause`, that part). */
export function describeError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const text = cause ? [cause.code, cause.message].filter(Boolean).join(' ') : errorMessage(err);
  return text.slice(0, MAX_ERROR_LENGTH);
}
