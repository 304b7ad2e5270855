/**
 * Pure renderers of php-fpm configuration: one master config per shard, holding one pool per
 * tenant. Why shards and not one master per tenant: a php-fpm master with Debian's extensions
 * costs ~37 MB RSS (measured here), far over the 1.5 MB per idle tenant budget; why not one
 * master for all: adding a pool needs a reload (USR2 re-executes the master and empties its
 * opcode cache), which would slow down every tenant. See docs/local-runtime.md.
 */
import { safeInt, safeName, safePath } from './escape.js';

/** How long an idle `ondemand` worker lives (`pm.process_idle_timeout`). */
export const WORKER_IDLE_TIMEOUT_S = 10;

export interface PoolInput {
  /** `<env>-<tenant>-service`. */
  name: string;
  /** Unix user and group; null when not running as root (pool runs as the current user). */
  unixUser: { user: string; group: string; listenGroup: string } | null;
  socket: string;
  maxChildren: number;
  prependFile: string;
  errorLog: string;
  tmpDir: string;
  /** memory_limit in MiB. */
  memoryLimitMb: number;
  /** upload_max_filesize and post_max_size in MiB (absent: PHP's defaults; the prepend answers 413 over it). */
  uploadMaxMb?: number;
  /** The instance's desiredCount the pool was made for (health events report it). */
  desiredCount?: number;
}

/** `opcache.restrict_api` of every master: a prefix no script path has, so the API is refused. */
export const OPCACHE_API_NOBODY = '/nonexistent/bbws-opcache-api-is-restricted';

export interface ShardInput {
  shard: number;
  pidFile: string;
  errorLog: string;
  pools: PoolInput[];
}

export function renderPool(pool: PoolInput): string {
  const name = safeName(pool.name);
  const owner = pool.unixUser
    ? `user = ${safeName(pool.unixUser.user)}
group = ${safeName(pool.unixUser.group)}
listen.owner = ${safeName(pool.unixUser.user)}
listen.group = ${safeName(pool.unixUser.listenGroup)}
`
    : '';
  const tmp = safePath(pool.tmpDir);
  return `[${name}]
${owner}listen = ${safePath(pool.socket)}
listen.mode = 0660
pm = ondemand
pm.max_children = ${safeInt(pool.maxChildren, 1, 1000)}
pm.process_idle_timeout = ${WORKER_IDLE_TIMEOUT_S}s
pm.max_requests = 1000
request_terminate_timeout = 120s
catch_workers_output = yes
decorate_workers_output = no
security.limit_extensions = .php
env[TMPDIR] = ${tmp}
; ABSPATH for this tenant: PHP resolves the docroot symlinks to /usr/share/wordpress, whose
; wp-load.php would otherwise load Debian's own wp-config.php.
php_admin_value[auto_prepend_file] = ${safePath(pool.prependFile)}
php_admin_value[error_log] = ${safePath(pool.errorLog)}
php_admin_flag[log_errors] = on
php_admin_flag[display_errors] = off
php_admin_value[memory_limit] = ${safeInt(pool.memoryLimitMb, 32, 65536)}M
${pool.uploadMaxMb === undefined ? '' : `php_admin_value[upload_max_filesize] = ${safeInt(pool.uploadMaxMb, 1, 4096)}M
php_admin_value[post_max_size] = ${safeInt(pool.uploadMaxMb, 1, 4096)}M
`}php_admin_value[upload_tmp_dir] = ${tmp}
php_admin_value[session.save_path] = ${tmp}
php_admin_value[sys_temp_dir] = ${tmp}
php_admin_flag[allow_url_include] = off
; Pools of a master share its opcode cache: opcache_get_status() would list, and opcache_invalidate()
; reset, other tenants' scripts: no script may call the API.
php_admin_value[opcache.restrict_api] = ${OPCACHE_API_NOBODY}
`;
}

/**
 * The master of one shard. `process_control_timeout` makes a reload wait for in-flight requests
 * instead of killing them. The opcode-cache settings that must be global (revalidate_path,
 * validate_permission) are passed as `-d` on the master's command line (see php-fpm.ts).
 */
export function renderShardConfig(input: ShardInput): string {
  const pools = [...input.pools].sort((a, b) => a.name.localeCompare(b.name));
  return `; Rendered by bbws (render-php-fpm.ts), shard ${safeInt(input.shard, 0, 100000)}. Do not edit.
[global]
pid = ${safePath(input.pidFile)}
error_log = ${safePath(input.errorLog)}
daemonize = no
process_control_timeout = 30s
emergency_restart_threshold = 10
emergency_restart_interval = 1m

${pools.map(renderPool).join('\n')}`;
}

/** php.ini settings every master gets on its command line (`-d k=v`). */
export const MASTER_INI: Readonly<Record<string, string>> = {
  // Without it, every tenant's symlinked path to the same core file is a separate cache key:
  // at ~50 tenants the cache fills with duplicates and starts evicting.
  'opcache.revalidate_path': '1',
  // Pools of one shard share an opcode cache; without this a tenant could include() another
  // tenant's cached wp-config.php even though the file itself is unreadable to it.
  'opcache.validate_permission': '1',
  // Each pool narrows it to its own wp-config.php (renderPool); a pool without that: nobody.
  'opcache.restrict_api': OPCACHE_API_NOBODY,
  'opcache.memory_consumption': '128',
  'opcache.max_accelerated_files': '20000',
  'expose_php': '0',
};
