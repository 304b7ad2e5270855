/**
 * The message that carries an operation's work on the provisioning queue. It holds only ids:
 * the worker reads the current records, so a redelivered or late message can do no harm.
 */
import type { Operation } from '../domain/operation.js';
import type { OutgoingMessage } from '../ports/queue.js';
import type { AppDeps } from './deps.js';

export interface ProvisioningMessageBody {
  operationId: string;
  tenantId: string;
}

export function provisioningMessage(deps: Pick<AppDeps, 'queues'>, op: Operation): OutgoingMessage {
  const body: ProvisioningMessageBody = { operationId: op.operationId, tenantId: op.tenantId };
  return { queue: deps.queues.tenantProvisioning, body: JSON.stringify(body) };
}

export function parseProvisioningMessage(body: string): ProvisioningMessageBody | undefined {
  try {
    const v = JSON.parse(body) as Partial<ProvisioningMessageBody>;
    if (typeof v.operationId === 'string' && typeof v.tenantId === 'string') return { operationId: v.operationId, tenantId: v.tenantId };
  } catch {
    /* not ours: treated as a poison message by the caller */
  }
  return undefined;
}
