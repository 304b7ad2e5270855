/**
 * The message that carries an operation's work, on the provisioning queue or a site queue. It
 * holds only ids: the worker reads the current records, so a redelivered or late message can do
 * no harm.
 */
import type { Operation } from '../domain/operation.js';
import type { OutgoingMessage } from '../ports/queue.js';
import type { AppDeps } from './deps.js';

export interface OperationMessageBody {
  operationId: string;
  tenantId: string;
}

/** The message carrying an operation's work (`{operationId, tenantId}`) on `queue`. */
export function operationMessage(queue: string, op: Operation): OutgoingMessage {
  const body: OperationMessageBody = { operationId: op.operationId, tenantId: op.tenantId };
  return { queue, body: JSON.stringify(body) };
}

/** An instance operation's message, on the provisioning queue. */
export function provisioningMessage(deps: Pick<AppDeps, 'queues'>, op: Operation): OutgoingMessage {
  return operationMessage(deps.queues.tenantProvisioning, op);
}

/**
 * An operation message's body, or undefined when it is not one (such a message goes to the DLQ
 * after its retries).
 */
export function parseOperationMessage(body: string): OperationMessageBody | undefined {
  try {
    const v = JSON.parse(body) as Partial<OperationMessageBody>;
    if (typeof v.operationId === 'string' && typeof v.tenantId === 'string') return { operationId: v.operationId, tenantId: v.tenantId };
  } catch {
    /* not ours: treated as a poison message by the caller */
  }
  return undefined;
}
