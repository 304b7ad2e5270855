/**
 * The link with which a tenant's owner installs the tenant's own WordPress (install.php answers
 * to nobody else; adapters/wordpress/local/install-token.ts). Platform-admin or the tenant's own
 * tenant-admin; any other tenant answers TENANT_NOT_FOUND.
 */
import { assertTenantAccess, type Principal } from '../domain/auth.js';
import { BbwsError } from '../domain/errors.js';
import { names } from '../domain/naming.js';
import { siteUrl, wordpressOf, type SiteDeps } from './sites/site-deps.js';

export interface InstallLink {
  tenantId: string;
  /** Open it in a browser: install.php, with the one-time token. Shown once. */
  installUrl: string;
  expiresAt: string;
}

/** Issues a new one-time install link for the tenant's WordPress (the previous one stops working). */
export async function issueInstallLink(deps: SiteDeps, principal: Principal, tenantId: string): Promise<InstallLink> {
  assertTenantAccess(principal, tenantId);
  const found = await deps.store.getTenantWithInstance(tenantId);
  if (!found) throw new BbwsError('TENANT_NOT_FOUND', undefined, { tenantId });
  const state = found.instance?.provisioningState;
  if (!state || state === 'DEPROVISIONED')
    throw new BbwsError('INVALID_STATE', 'The tenant has no running WordPress.', { tenantId, provisioningState: state ?? null });
  const { installPath, expiresAt } = await wordpressOf(deps).issueInstallToken(tenantId);
  const host = names.defaultHostname(deps.env, tenantId, deps.baseDomain);
  return { tenantId, installUrl: `${siteUrl(deps, host).replace(/\/$/, '')}${installPath}`, expiresAt };
}
