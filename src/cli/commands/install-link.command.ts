/**
 * `bbws tenants install-link <tenantId>`: a one-time link to the tenant's own WordPress
 * installer (POST /v1.0/tenants/{id}/install-link). install.php answers to nobody else; each call
 * replaces the previous link. The link is printed once: hand it to the tenant's owner.
 */
import type { Command } from 'commander';
import { printJson, printRecord } from '../output.js';
import { clientFor, type CommonOptions } from './common.js';

export function registerInstallLinkCommand(tenants: Command): void {
  tenants.command('install-link <tenantId>').description("a one-time link to the tenant's WordPress installer (replaces the previous one)").action(
    async (tenantId: string, opts: CommonOptions) => {
      const link = await (await clientFor(opts)).request<{ tenantId: string; installUrl: string; expiresAt: string }>('POST', `/v1.0/tenants/${encodeURIComponent(tenantId)}/install-link`);
      if (opts.json) return printJson(link);
      printRecord({ ...link, note: 'works once; open it in a browser to install WordPress' });
    },
  );
}
