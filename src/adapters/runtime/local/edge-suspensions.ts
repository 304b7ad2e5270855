/**
 * Suspended host names at the edge: one file per host name in `edge/suspended/` (root:<web
 * group> 0710, so no tenant can write there), holding the id of the tenant that suspended it.
 * nginx answers such a host 503 with a "suspended" page before it looks at the route table
 * (render-nginx.ts), for static files as well as PHP. A soft delete suspends a tenant's host names;
 * provisioning the tenant again, or a hard delete, lifts them.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { safeHostname, safeTenantId } from './escape.js';
import { writeFileAtomic } from '../../files/atomic-write.js';

export interface EdgeSuspensions {
  /** Marks each host name as suspended by `tenantId`. Idempotent. */
  suspend(tenantId: string, hostnames: readonly string[]): Promise<void>;
  /** Lifts every suspension of `tenantId`; returns the host names it lifted. Idempotent. */
  lift(tenantId: string): Promise<string[]>;
}

export function edgeSuspensions(dir: string): EdgeSuspensions {
  return {
    async suspend(tenantId, hostnames) {
      const owner = safeTenantId(tenantId);
      for (const h of hostnames) {
        const file = join(dir, safeHostname(h));
        // nginx's `-f` under disable_symlinks opens the file, so its workers must read it: 0644
        // inside a 0710 root:<web group> directory is readable by them and by no tenant.
        await writeFileAtomic(file, `${owner}\n`, 0o644);
      }
    },
    async lift(tenantId) {
      const owner = safeTenantId(tenantId);
      const lifted: string[] = [];
      for (const name of await readdir(dir)) {
        const file = join(dir, name);
        const by = (await readFile(file, 'utf8').catch(() => '')).trim();
        // A half-written marker of a killed run (.tmp-) is nobody's: removed too.
        if (by === owner || name.includes('.tmp-')) {
          await rm(file, { force: true });
          if (!name.includes('.tmp-')) lifted.push(name);
        }
      }
      return lifted.sort();
    },
  };
}
