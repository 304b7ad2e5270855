/**
 * Where everything of the local runtime lives under the data dir. Nothing is written to /etc
 * (Unix users aside, which only root can create): each bbws data dir is a self-contained
 * installation, so tests run several side by side.
 *
 * ```
 * <dataDir>/runtime/
 *   instance-id                 4 hex chars: keeps Unix user names of two data dirs apart
 *   mariadb/data/  mariadb/run/mysqld.sock  mariadb/port  mariadb/error.log
 *   php-fpm/pools/<service>.json   desired pool per tenant (shard, capacity, user)
 *   php-fpm/shard-<n>.conf          rendered master config (all pools of the shard)
 *   php-fpm/shard-<n>.log  php-fpm/run/<service>.sock
 *   edge/nginx.conf  edge/htpasswd  edge/logs/{access,error}.log  edge/tmp/
 *   edge/routes/<hostname>        symlink → tenants/<t>/www        (the route table)
 *   edge/sockets/<hostname>.sock  symlink → php-fpm/run/<service>.sock
 *   tenants/<t>/                  0750 <tenant user>:<web group> (the isolation gate)
 *     www/                        docroot: symlinks into /usr/share/wordpress, wp-config.php, wp-content →
 *     content/                    the "EFS access point": themes/ plugins/ uploads/, owned by the tenant
 *     prepend.php                 defines ABSPATH (see render-wp-config.ts)
 *     logs/php-error.log  tmp/
 * ```
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { safePath, safeTenantId } from './escape.js';

export interface Layout {
  root: string;
  mariadbDir: string;
  mariadbData: string;
  mariadbSocket: string;
  mariadbPortFile: string;
  mariadbErrorLog: string;
  phpFpmDir: string;
  phpFpmPools: string;
  phpFpmRun: string;
  edgeDir: string;
  edgeRoutes: string;
  edgeSockets: string;
  edgeLogs: string;
  tenantsDir: string;
  instanceIdFile: string;
}

export function createLayout(dataDir: string): Layout {
  const root = safePath(join(dataDir, 'runtime'));
  return {
    root,
    mariadbDir: join(root, 'mariadb'),
    mariadbData: join(root, 'mariadb', 'data'),
    mariadbSocket: join(root, 'mariadb', 'run', 'mysqld.sock'),
    mariadbPortFile: join(root, 'mariadb', 'port'),
    mariadbErrorLog: join(root, 'mariadb', 'error.log'),
    phpFpmDir: join(root, 'php-fpm'),
    phpFpmPools: join(root, 'php-fpm', 'pools'),
    phpFpmRun: join(root, 'php-fpm', 'run'),
    edgeDir: join(root, 'edge'),
    edgeRoutes: join(root, 'edge', 'routes'),
    edgeSockets: join(root, 'edge', 'sockets'),
    edgeLogs: join(root, 'edge', 'logs'),
    tenantsDir: join(root, 'tenants'),
    instanceIdFile: join(root, 'instance-id'),
  };
}

export interface TenantPaths {
  dir: string;
  www: string;
  content: string;
  wpConfig: string;
  prepend: string;
  logs: string;
  tmp: string;
  phpErrorLog: string;
}

export function tenantPaths(layout: Layout, tenantId: string): TenantPaths {
  const dir = join(layout.tenantsDir, safeTenantId(tenantId));
  return {
    dir,
    www: join(dir, 'www'),
    content: join(dir, 'content'),
    wpConfig: join(dir, 'www', 'wp-config.php'),
    prepend: join(dir, 'prepend.php'),
    logs: join(dir, 'logs'),
    tmp: join(dir, 'tmp'),
    phpErrorLog: join(dir, 'logs', 'php-error.log'),
  };
}

/**
 * The Unix user (and group) of a tenant: `bw<instance>-<tenant>`, at most 32 characters (the
 * useradd limit). Long tenant ids are shortened with a hash so two tenants never share a user.
 */
export function tenantUnixUser(instanceId: string, tenantId: string): string {
  safeTenantId(tenantId);
  if (!/^[0-9a-f]{4}$/.test(instanceId)) throw new Error(`bad instance id ${instanceId}`);
  const part = tenantId.length <= 25 ? tenantId : tenantId.slice(0, 19) + createHash('sha256').update(tenantId).digest('hex').slice(0, 6);
  return `bw${instanceId}-${part}`;
}

/** The group nginx workers run as; tenant directories grant it read access (root only). */
export function webGroupName(instanceId: string): string {
  return `bw${instanceId}-web`;
}
