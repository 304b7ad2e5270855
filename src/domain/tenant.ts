/**
 * Tenants and their WordPress instance (DESIGN.md "State"). The instance carries the
 * provisioning state an operator sees in the seeds, and a version for optimistic locking.
 */
import type { Environment } from './naming.js';
import { effectiveLimits, type TenantLimits } from './tenant-limits.js';

export const PROVISIONING_STATES = [
  'PROVISIONING',
  'COMMITTING',
  'WORKFLOW_RUNNING',
  'ACTIVE',
  'SCALING',
  'FAILED',
  'ROLLING_BACK',
  'DEPROVISIONED',
] as const;
export type ProvisioningState = (typeof PROVISIONING_STATES)[number];

/** States in which a provisioning workflow is still expected to make progress (seed 000 §4.5). */
export const IN_FLIGHT_STATES: readonly ProvisioningState[] = ['PROVISIONING', 'COMMITTING', 'WORKFLOW_RUNNING', 'SCALING', 'ROLLING_BACK'];

export interface Resources {
  /** vCPU units as in ECS task definitions (256 = 0.25 vCPU). */
  cpu: number;
  /** MiB. */
  memory: number;
  desiredCount: number;
}

export const DEFAULT_RESOURCES: Resources = { cpu: 256, memory: 512, desiredCount: 1 };

export interface Tenant {
  tenantId: string;
  domainName: string;
  environment: Environment;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** The runtime spec of an instance; each change is a new revision so it can be rolled back. */
export interface InstanceSpec {
  tenantId: string;
  environment: Environment;
  hostnames: string[];
  resources: Resources;
  /** The operator's overrides of the per-tenant limits (tenant-limits.ts); absent: the defaults. */
  limits?: Partial<TenantLimits>;
  revision: number;
}

export interface Instance {
  tenantId: string;
  provisioningState: ProvisioningState;
  workflowStatus: string | null;
  desiredCount: number;
  runningCount: number;
  lastError: string | null;
  spec: InstanceSpec;
  /** The spec before the last change, for rollback. */
  previousSpec: InstanceSpec | null;
  /** `time` and `id` of the last ECS event applied: older events never move state backwards. */
  lastEventTime: string | null;
  lastEventId: string | null;
  updatedAt: string;
  version: number;
}

/** The view of an instance the API returns. */
export function describeInstance(instance: Instance) {
  return {
    provisioningState: instance.provisioningState,
    workflowStatus: instance.workflowStatus,
    desiredCount: instance.desiredCount,
    runningCount: instance.runningCount,
    lastError: instance.lastError,
    updatedAt: instance.updatedAt,
    version: instance.version,
    hostnames: instance.spec.hostnames,
    resources: instance.spec.resources,
    limits: effectiveLimits(instance.spec),
    revision: instance.spec.revision,
  };
}
