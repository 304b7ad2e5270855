/**
 * Who is calling, and what they may see. A tenant-admin sees only its own tenant; any other
 * tenant answers "not found" so that existence does not leak (404, never 403).
 */
import { BbwsError } from './errors.js';

export const ROLES = ['platform-admin', 'tenant-admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  subject: string;
  role: Role;
  /** Set for tenant-admin. */
  tenantId: string | null;
}

export function canAccessTenant(principal: Principal, tenantId: string): boolean {
  return principal.role === 'platform-admin' || principal.tenantId === tenantId;
}

/** Throws TENANT_NOT_FOUND (not FORBIDDEN) when the principal may not see the tenant. */
export function assertTenantAccess(principal: Principal, tenantId: string): void {
  if (!canAccessTenant(principal, tenantId)) throw new BbwsError('TENANT_NOT_FOUND', undefined, { tenantId });
}

export function assertPlatformAdmin(principal: Principal): void {
  if (principal.role !== 'platform-admin') throw new BbwsError('FORBIDDEN', 'This action needs the platform-admin role.');
}
