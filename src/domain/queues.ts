/**
 * The platform's named queues (DESIGN.md, seeds 001 and 004) and their redrive policies.
 * A queue with `deadLetterQueue` moves a message there once it has been received
 * `maxReceiveCount` times without being deleted.
 */
import type { Environment } from './naming.js';

export interface QueueDefinition {
  readonly name: string;
  /** Seconds a received message stays invisible before it can be received again. */
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount?: number;
  readonly deadLetterQueue?: string;
  /** Messages older than this are dropped (SQS MessageRetentionPeriod). */
  readonly retentionSeconds: number;
}

const FOUR_DAYS = 4 * 24 * 3600;
const FOURTEEN_DAYS = 14 * 24 * 3600;

export function queueNames(env: Environment) {
  return {
    tenantProvisioning: `bbws-tenant-provisioning-${env}`,
    tenantProvisioningDlq: `bbws-tenant-provisioning-dlq-${env}`,
    ecsEvents: `bbws-ecs-events-${env}`,
    ecsEventsDlq: `bbws-ecs-events-dlq-${env}`,
    siteCreation: `bbws-wp-site-creation-${env}`,
    siteUpdate: `bbws-wp-site-update-${env}`,
    siteDeletion: `bbws-wp-site-deletion-${env}`,
    siteOperationsDlq: `bbws-wp-site-operations-dlq-${env}`,
    backups: `bbws-backups-${env}`,
    backupsDlq: `bbws-backups-dlq-${env}`,
  };
}

export type QueueNames = ReturnType<typeof queueNames>;

const dlq = (name: string): QueueDefinition => ({ name, visibilityTimeoutSeconds: 30, retentionSeconds: FOURTEEN_DAYS });
const work = (name: string, deadLetterQueue: string, visibilityTimeoutSeconds: number): QueueDefinition => ({
  name,
  visibilityTimeoutSeconds,
  maxReceiveCount: 3,
  deadLetterQueue,
  retentionSeconds: FOUR_DAYS,
});

/** Every queue of an environment, DLQs included, with its redrive policy. */
export function queueDefinitions(env: Environment): QueueDefinition[] {
  const q = queueNames(env);
  return [
    work(q.tenantProvisioning, q.tenantProvisioningDlq, 120),
    dlq(q.tenantProvisioningDlq),
    work(q.ecsEvents, q.ecsEventsDlq, 30),
    dlq(q.ecsEventsDlq),
    work(q.siteCreation, q.siteOperationsDlq, 300),
    work(q.siteUpdate, q.siteOperationsDlq, 300),
    work(q.siteDeletion, q.siteOperationsDlq, 300),
    dlq(q.siteOperationsDlq),
    work(q.backups, q.backupsDlq, 600),
    dlq(q.backupsDlq),
  ];
}

/**
 * On AWS only: the queue subscribed to the SNS topic `bbws-wp-notifications-<env>`, which feeds the
 * webhook deliveries (docs/aws.md), and its DLQ. Embedded, the notifier delivers the webhooks itself.
 */
export function notificationQueueNames(env: Environment) {
  return { webhookDeliveries: `bbws-wp-notifications-webhooks-${env}`, webhookDeliveriesDlq: `bbws-wp-notifications-webhooks-dlq-${env}` };
}

export function notificationQueueDefinitions(env: Environment): QueueDefinition[] {
  const q = notificationQueueNames(env);
  return [work(q.webhookDeliveries, q.webhookDeliveriesDlq, 30), dlq(q.webhookDeliveriesDlq)];
}
