/**
 * Reads of tenants, instances and operations, scoped to what the caller may see. A tenant-admin
 * asking for another tenant gets "not found", exactly as if it did not exist.
 */
import { assertTenantAccess, type Principal } from '../domain/auth.js';
import { deepFreeze } from '../domain/deep-freeze.js';
import { BbwsError } from '../domain/errors.js';
import { describeOperation } from '../domain/operation.js';
import { describeInstance, type Instance, type Tenant } from '../domain/tenant.js';
import type { AppDeps } from './deps.js';

/** A tenant with its instance as the API shows it. */
export async function describeTenant(deps: AppDeps, tenant: Tenant) {
  return viewOf(tenant, await deps.store.getInstance(tenant.tenantId));
}

function viewOf(tenant: Tenant, instance: Instance | undefined) {
  return {
    tenantId: tenant.tenantId,
    domainName: tenant.domainName,
    environment: tenant.environment,
    createdAt: tenant.createdAt,
    updatedAt: tenant.updatedAt,
    version: instance?.version ?? tenant.version,
    instance: instance ? describeInstance(instance) : null,
  };
}

/**
 * Views of records the store shares read-only (frozen: its commit-validated cache), one per
 * record, frozen too, so that a repeated read is the same object and the HTTP layer can reuse its
 * serialized body (src/http/frozen-body.ts).
 */
const sharedViews = new WeakMap<object, Readonly<ReturnType<typeof viewOf>>>();

/**
 * GET /v1.0/tenants/{id}: the tenant and its instance as of one moment; with the read cache, the
 * same frozen view until anything commits.
 */
export async function getTenant(deps: AppDeps, principal: Principal, tenantId: string) {
  assertTenantAccess(principal, tenantId);
  const found = await deps.store.getTenantWithInstance(tenantId);
  if (!found) throw new BbwsError('TENANT_NOT_FOUND', undefined, { tenantId });
  if (!Object.isFrozen(found)) return viewOf(found.tenant, found.instance);
  let view = sharedViews.get(found);
  if (view === undefined) sharedViews.set(found, (view = deepFreeze(viewOf(found.tenant, found.instance))));
  return view;
}

/** GET /v1.0/tenants/{id}/instance. */
export async function getInstanceView(deps: AppDeps, principal: Principal, tenantId: string) {
  assertTenantAccess(principal, tenantId);
  const instance = await deps.store.getInstance(tenantId);
  if (!instance) throw new BbwsError('TENANT_NOT_FOUND', undefined, { tenantId });
  return describeInstance(instance);
}

/** GET /v1.0/tenants: a page of tenants (a tenant-admin sees only its own). */
export async function listTenants(deps: AppDeps, principal: Principal, limit: number, nextToken: string | null) {
  if (principal.role === 'tenant-admin') {
    const own = principal.tenantId ? await deps.store.getTenant(principal.tenantId) : undefined;
    return { items: own ? [await describeTenant(deps, own)] : [], nextToken: null };
  }
  const page = await deps.store.listTenants({ limit, nextToken });
  return { items: await Promise.all(page.items.map((t) => describeTenant(deps, t))), nextToken: page.nextToken };
}

/** GET /v1.0/operations/{id}; another tenant's operation reads as OPERATION_NOT_FOUND. */
export async function getOperation(deps: AppDeps, principal: Principal, operationId: string) {
  const op = await deps.store.getOperation(operationId);
  if (!op || (principal.role !== 'platform-admin' && principal.tenantId !== op.tenantId)) {
    throw new BbwsError('OPERATION_NOT_FOUND', undefined, { operationId });
  }
  return describeOperation(op);
}

/** GET /v1.0/tenants/{id}/operations: newest first, up to `limit`. */
export async function listTenantOperations(deps: AppDeps, principal: Principal, tenantId: string, limit: number) {
  assertTenantAccess(principal, tenantId);
  if (!(await deps.store.getTenant(tenantId))) throw new BbwsError('TENANT_NOT_FOUND', undefined, { tenantId });
  const ops = await deps.store.listOperations(tenantId, limit);
  return { items: ops.map(describeOperation) };
}
