/**
 * Operations: the journal of an asynchronous action (create, scale, delete, …). Each step records
 * when it started, how long it took and how it ended, so an operator can see where work stopped.
 */
export const OPERATION_STATUSES = ['PENDING', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

export const INSTANCE_OPERATION_TYPES = ['CREATE_TENANT', 'SCALE_INSTANCE', 'DELETE_TENANT', 'ROLLBACK_INSTANCE'] as const;
export const SITE_OPERATION_TYPES = ['CREATE_SITE', 'UPDATE_SITE', 'DELETE_SITE', 'CLONE_SITE', 'APPLY_TEMPLATE'] as const;
/** Backup work (docs/backups.md): on the backups queue, `input.backupId` names the backup. */
/** Work of the backups queue: backups, verifications, restores and secret rotation (one at a time per tenant). */
export const BACKUP_OPERATION_TYPES = ['CREATE_BACKUP', 'VERIFY_BACKUP', 'RESTORE_BACKUP', 'ROTATE_SECRETS'] as const;
export const OPERATION_TYPES = [...INSTANCE_OPERATION_TYPES, ...SITE_OPERATION_TYPES, ...BACKUP_OPERATION_TYPES] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];
export type SiteOperationType = (typeof SITE_OPERATION_TYPES)[number];
export type BackupOperationType = (typeof BACKUP_OPERATION_TYPES)[number];

/** Backup operations change neither the instance nor a site record. */
export function isBackupOperation(op: Pick<Operation, 'type'>): boolean {
  return (BACKUP_OPERATION_TYPES as readonly string[]).includes(op.type);
}

/** Site operations carry `input.siteId` and run on the site queues; the rest change the instance. */
export function isSiteOperation(op: Pick<Operation, 'type'>): boolean {
  return (SITE_OPERATION_TYPES as readonly string[]).includes(op.type);
}

export type StepStatus = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'UNDONE' | 'UNDO_FAILED';

export interface OperationStep {
  name: string;
  status: StepStatus;
  startedAt: string;
  durationMs: number | null;
  error: string | null;
}

export interface Operation {
  operationId: string;
  type: OperationType;
  status: OperationStatus;
  tenantId: string;
  /** Type-specific input, e.g. `{ desiredCount }` or `{ mode: 'hard' }`. */
  input: Record<string, unknown>;
  steps: OperationStep[];
  error: string | null;
  correlationId: string | null;
  createdAt: string;
  updatedAt: string;
  /** ISO time after which the reconciler fails the operation (seed 000: 15 minutes). */
  deadlineAt: string;
  version: number;
}

export const TERMINAL_OPERATION_STATUSES: readonly OperationStatus[] = ['SUCCEEDED', 'FAILED'];

export function isTerminal(op: Pick<Operation, 'status'>): boolean {
  return TERMINAL_OPERATION_STATUSES.includes(op.status);
}

/** The last successful or failed step for `name`, if the journal has one (resuming after redelivery). */
export function findStep(op: Operation, name: string): OperationStep | undefined {
  for (let i = op.steps.length - 1; i >= 0; i--) if (op.steps[i].name === name) return op.steps[i];
  return undefined;
}

/** Progress for humans: completed steps of the steps known so far. */
export function describeOperation(op: Operation) {
  return {
    operationId: op.operationId,
    type: op.type,
    status: op.status,
    tenantId: op.tenantId,
    input: op.input,
    steps: op.steps,
    error: op.error,
    correlationId: op.correlationId,
    createdAt: op.createdAt,
    updatedAt: op.updatedAt,
    deadlineAt: op.deadlineAt,
  };
}
