/**
 * The tenant's one-time install token. A fresh tenant's WordPress answers `/wp-admin/install.php`,
 * and whoever installs it owns it; the tenant's prepend.php (render-wp-config.ts) lets the
 * installer answer only to the holder of this token. Only its sha256 is stored, with an expiry, in
 * `tenants/<t>/install-token.json` (0640 root:<tenant group>: the tenant's PHP reads it, only root
 * writes it). A new token replaces the previous one; the first request that presents it spends it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { BbwsError } from '../../../domain/errors.js';
import { safeTenantId } from '../../runtime/local/escape.js';
import type { WordPressHost } from '../../runtime/local/local-runtime.js';
import { INSTALL_TOKEN_PARAM } from '../../runtime/local/render-wp-config.js';
import { installTokenFile, writeTenantDataFile } from '../../runtime/local/tenant-files.js';

/** How long an install link works: long enough to forward it, short enough not to linger. */
export const INSTALL_TOKEN_TTL_MS = 24 * 3600 * 1000;

export function renderInstallTokenRecord(token: string, expiresAtSeconds: number): string {
  return `${JSON.stringify({ sha256: createHash('sha256').update(token).digest('hex'), expires: expiresAtSeconds })}\n`;
}

export async function issueInstallToken(runtime: WordPressHost, tenantId: string, now = Date.now()): Promise<{ installPath: string; expiresAt: string }> {
  const paths = runtime.tenantPaths(safeTenantId(tenantId));
  if (!(await stat(paths.wpConfig).then(() => true, () => false)))
    throw new BbwsError('INVALID_STATE', 'The tenant has no WordPress yet: wait until it is provisioned.', { tenantId });
  const token = randomBytes(32).toString('base64url');
  const expires = Math.floor((now + INSTALL_TOKEN_TTL_MS) / 1000);
  await writeTenantDataFile(installTokenFile(paths), renderInstallTokenRecord(token, expires), await runtime.tenantOwner(tenantId));
  return { installPath: `/wp-admin/install.php?${INSTALL_TOKEN_PARAM}=${token}`, expiresAt: new Date(expires * 1000).toISOString() };
}
