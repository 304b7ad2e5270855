/**
 * POST /v1.0/tenants: records the tenant, its instance (PROVISIONING) and a CREATE_TENANT
 * operation, and enqueues the work, in one commit. A tenant whose instance was deprovisioned can
 * be created again with the same name: its data (after a soft delete) is reused.
 */
import { BbwsError } from '../domain/errors.js';
import { assertHostnameAllowed } from '../domain/hostnames.js';
import { assertTenantId, names } from '../domain/naming.js';
import { DEFAULT_RESOURCES, type Instance, type InstanceSpec, type Resources, type Tenant } from '../domain/tenant.js';
import { StoreConflictError, type Write } from '../ports/store.js';
import { hostnamePolicy } from './custom-domains.js';
import { type AppDeps, isoNow } from './deps.js';
import { newOperation } from './operation-records.js';
import { provisioningMessage } from './operation-message.js';
import { validateResources } from './validate-resources.js';

export interface CreateTenantInput {
  tenantName: unknown;
  domainName?: unknown;
  resources?: Partial<Resources>;
}

export interface CreateTenantResult {
  tenantId: string;
  operationId: string;
  provisioningState: 'PROVISIONING';
}

/**
 * POST /v1.0/tenants: validates the name, host names and resources, and commits the tenant, its
 * PROVISIONING instance, the operation and its provisioning message in one commit (202 with the
 * operation). HOSTNAME_TAKEN or TENANT_EXISTS leaves nothing behind.
 */
export async function createTenant(deps: AppDeps, input: CreateTenantInput, correlationId: string | null): Promise<CreateTenantResult> {
  const tenantId = assertTenantId(input.tenantName);
  const defaultHost = names.defaultHostname(deps.env, tenantId, deps.baseDomain);
  let domainName = defaultHost;
  // The same rule as every other host name: the tenant's own namespace, or a domain it verified
  // (possible for a tenant created again after a soft delete, which keeps its domains).
  if (input.domainName !== undefined) domainName = assertHostnameAllowed(input.domainName, await hostnamePolicy(deps, tenantId), 'domainName');
  const resources = validateResources({ ...DEFAULT_RESOURCES, ...input.resources });
  const hostnames = [...new Set([defaultHost, domainName])];
  for (const host of hostnames) {
    const owner = await deps.store.findTenantByHostname(host);
    if (owner && owner !== tenantId) throw new BbwsError('HOSTNAME_TAKEN', undefined, { hostname: host });
  }

  const existingTenant = await deps.store.getTenant(tenantId);
  const existingInstance = existingTenant ? await deps.store.getInstance(tenantId) : undefined;
  if (existingTenant && existingInstance?.provisioningState !== 'DEPROVISIONED') {
    throw new BbwsError('TENANT_EXISTS', undefined, { tenantId });
  }

  const now = isoNow(deps);
  const tenant: Tenant = existingTenant
    ? { ...existingTenant, domainName, updatedAt: now, version: existingTenant.version + 1 }
    : { tenantId, domainName, environment: deps.env, createdAt: now, updatedAt: now, version: 1 };
  const spec: InstanceSpec = {
    tenantId,
    environment: deps.env,
    hostnames,
    resources,
    revision: (existingInstance?.spec.revision ?? 0) + 1,
  };
  const instance: Instance = {
    tenantId,
    provisioningState: 'PROVISIONING',
    workflowStatus: 'QUEUED',
    desiredCount: resources.desiredCount,
    runningCount: 0,
    lastError: null,
    spec,
    previousSpec: existingInstance?.spec ?? null,
    lastEventTime: existingInstance?.lastEventTime ?? null,
    lastEventId: existingInstance?.lastEventId ?? null,
    updatedAt: now,
    version: (existingInstance?.version ?? 0) + 1,
  };
  const operation = newOperation(deps, 'CREATE_TENANT', tenantId, { domainName, resources }, correlationId);
  const writes: Write[] = [
    { kind: 'putTenant', tenant, expectedVersion: existingTenant?.version ?? null },
    { kind: 'putInstance', instance, expectedVersion: existingInstance?.version ?? null },
    { kind: 'putOperation', operation, expectedVersion: null },
    { kind: 'enqueue', message: provisioningMessage(deps, operation) },
  ];
  try {
    await deps.store.commit(writes);
  } catch (err) {
    if (err instanceof StoreConflictError) {
      if (err.which === 'hostname') throw new BbwsError('HOSTNAME_TAKEN', undefined, { hostname: err.id });
      throw new BbwsError('TENANT_EXISTS', undefined, { tenantId });
    }
    throw err;
  }
  deps.logger.info({ tenantId, action: 'CREATE_TENANT', status: 'ACCEPTED', operationId: operation.operationId, correlationId }, 'tenant accepted for provisioning');
  deps.metrics.increment('bbws_operations_started_total', { type: 'CREATE_TENANT' });
  return { tenantId, operationId: operation.operationId, provisioningState: 'PROVISIONING' };
}
