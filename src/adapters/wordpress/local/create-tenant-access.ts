/**
 * The local runtime's {@link TenantAccess}: SQL through the tenant's own database user (mysql2,
 * credentials from the `<env>-<tenant>-db-credentials` secret, so a bug here cannot reach another
 * tenant's database), PHP as the tenant's Unix user (php-runner.ts), and the tenant's directories.
 *
 * PHP scripts given to {@link TenantAccess.php} are code WITHOUT the `<?php` tag (a leading tag
 * is stripped). They run at global scope after a prelude that
 * - decodes the JSON from stdin into `$input`,
 * - sets `$_SERVER['HTTP_HOST']` to `<primary host>:<edge port>` (as the edge does) and defines
 *   `BBWS_SITE_ID` / `BBWS_SITE_HOME`, which the tenant's wp-config.php prefers over the sites map
 *   (so a site that is not routed yet — a clone target — still gets its own tables),
 * - defines ABSPATH as the tenant's docroot and, with `loadWordPress`, requires wp-load.php.
 * Whatever the script echoes is returned; warnings go to stderr. A non-zero exit is an ExecError.
 */
import { chmod, mkdir, realpath, rename } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { createPool, type Pool, type PoolConnection } from 'mysql2/promise';
import { names } from '../../../domain/naming.js';
import { tablePrefix } from '../../../domain/site.js';
import type { SiteRef } from '../../../ports/wordpress.js';
import type { Secrets } from '../../../ports/secrets.js';
import { run } from '../../runtime/local/exec.js';
import { safeHostname, safeTenantId } from '../../runtime/local/escape.js';
import type { WordPressHost } from '../../runtime/local/local-runtime.js';
import type { DbCredentials } from '../../runtime/local/tenant-steps.js';
import { ownedName } from '../../os/owned-names.js';
import { runPhp, tenantRunner } from './php-runner.js';
import { siteHomeUrl } from './sites-map.js';
import type { SqlValue, TenantAccess } from './tenant-access.js';

/** A TenantAccess that holds a small connection pool: `close()` it when done. */
export interface LocalTenantAccess extends TenantAccess {
  /** `www/` of the tenant (ABSPATH). */
  readonly docroot: string;
  close(): Promise<void>;
}

const PRELUDE = String.raw`
$__bbws = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$input = $__bbws['input'];
umask(022);
$_SERVER['HTTP_HOST'] = $__bbws['httpHost'];
$_SERVER['SERVER_NAME'] = $__bbws['host'];
$_SERVER['SERVER_PORT'] = (string) $__bbws['port'];
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REMOTE_ADDR'] = '127.0.0.1';
define('BBWS_SITE_ID', $__bbws['siteId']);
define('BBWS_SITE_HOME', $__bbws['home']);
define('ABSPATH', $__bbws['abspath']);
if ($__bbws['load']) { unset($__bbws); require_once ABSPATH . 'wp-load.php'; } else { unset($__bbws); }
`;

function stripOpenTag(script: string): string {
  return script.replace(/^\s*<\?php\b/, '');
}

export async function createTenantAccess(runtime: WordPressHost, secrets: Secrets, tenantId: string): Promise<LocalTenantAccess> {
  const t = safeTenantId(tenantId);
  const paths = runtime.tenantPaths(t);
  const secretName = names.dbCredentialsSecret(runtime.config.env, t);
  const raw = await secrets.get(secretName);
  if (!raw) throw new Error(`secret ${secretName} is missing: is the tenant provisioned?`);
  const creds = JSON.parse(raw) as DbCredentials;
  const owner = await runtime.tenantOwner(t);
  const edgePort = runtime.config.edgePort;
  const backupsDir = join(paths.dir, 'backups');
  // Root's own (0700, in the root-owned tenant dir): the tenant's PHP never needs backups, and
  // root writing there can never be redirected by a tenant's symlink.
  await mkdir(backupsDir, { recursive: true, mode: 0o700 });
  await chmod(backupsDir, 0o700);

  const pool: Pool = createPool({
    host: creds.host,
    port: creds.port,
    user: creds.username,
    password: creds.password,
    database: creds.dbname,
    charset: 'utf8mb4_unicode_ci',
    // One statement per call: a placeholder value can never smuggle in a second statement.
    multipleStatements: false,
    // Rows are copied verbatim by clone/backup: keep dates as the strings MySQL stores
    // ('0000-00-00 00:00:00' included) and big integers exact.
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    connectionLimit: 4,
    maxIdle: 1,
    idleTimeout: 10_000,
  });

  const query = async <T>(conn: Pool | PoolConnection, sql: string, params: SqlValue[] = []): Promise<T[]> => {
    // mysql2's `?` placeholders: values are escaped by the driver for the utf8mb4 connection.
    const [rows] = await conn.query(sql, params);
    return (Array.isArray(rows) ? rows : []) as T[];
  };

  /** Long copies (uploads of 100 MB and more) get an hour. */
  const COPY_TIMEOUT_MS = 3_600_000;
  /** What the tenant's cp keeps: modes, times and symlinks as symlinks; files become the tenant's. */
  const TENANT_CP = ['-a', '--no-preserve=ownership', '--reflink=auto', '--'];
  const asTenant = tenantRunner(owner, paths);
  /**
   * A new directory in the root-owned tenant dir: the tenant can neither swap it nor its parent.
   * Named after this process (os/owned-names.ts): what a kill -9 leaves is removed by the next
   * backup job's leftover sweep (backup/backup-leftovers.ts), never while we live.
   */
  const newStaging = async () => {
    const dir = join(paths.dir, ownedName('staging'));
    await mkdir(dir, { mode: 0o700 });
    return dir;
  };
  /** GNU rm: it does not follow a symlink the tenant swaps in while the tree is removed (the staging dir may be the tenant's). */
  const removeStaging = (dir: string) => run('rm', ['-rf', '--one-file-system', '--', dir], { timeoutMs: COPY_TIMEOUT_MS });

  const uploadsDir = (siteId: string) => {
    tablePrefix(siteId); // validates the id
    return join(paths.content, 'uploads', 'sites', siteId);
  };

  return {
    tenantId: t,
    contentDir: paths.content,
    docroot: paths.www,
    backupsDir,
    uploadsDir,
    query: (sql, params) => query(pool, sql, params),
    async transaction(work) {
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        // Note: DDL (CREATE/DROP/RENAME TABLE) commits implicitly in MySQL/MariaDB.
        const result = await work(<R>(sql: string, params?: SqlValue[]) => query<R>(conn, sql, params));
        await conn.commit();
        return result;
      } catch (e) {
        await conn.rollback().catch(() => undefined);
        throw e;
      } finally {
        conn.release();
      }
    },
    async php(site: SiteRef, script: string, input?: unknown, options?: { loadWordPress?: boolean; timeoutMs?: number }) {
      if (site.tenantId !== t) throw new Error(`site ${site.siteId} belongs to ${site.tenantId}, not ${t}`);
      tablePrefix(site.siteId);
      const host = safeHostname(site.hostnames[0]);
      const stdin = JSON.stringify({
        input: input ?? null,
        host,
        port: edgePort,
        httpHost: edgePort === 80 ? host : `${host}:${edgePort}`,
        siteId: site.siteId,
        home: siteHomeUrl(host, edgePort),
        abspath: `${paths.www}/`,
        load: options?.loadWordPress ?? false,
      });
      return runPhp({ code: `${PRELUDE}\n${stripOpenTag(script)}`, stdin, owner, cwd: paths.www, tmpDir: paths.tmp, timeoutMs: options?.timeoutMs ?? 120_000 });
    },
    async chownToTenant(path: string) {
      if (!owner) return;
      // Only inside the tenant's directory, resolved (a symlink must not lead us elsewhere).
      const real = await realpath(path);
      if (real !== paths.dir && !real.startsWith(paths.dir + sep)) throw new Error(`chownToTenant: ${path} is outside the tenant's directory`);
      if (real === paths.dir || real === backupsDir || real.startsWith(backupsDir + sep)) return; // root's, by design
      // Uploads are served by the edge: readable by "others", who inside the tenant's gate are the
      // edge alone (runtime/local/tenant-files.ts). The rest is the tenant's alone.
      const inContent = real === paths.content || real.startsWith(paths.content + sep);
      await run('chown', ['-R', '-h', `${owner.uid}:${owner.gid}`, '--', real]);
      await run('chmod', ['-R', inContent ? 'u+rwX,go+rX,go-w' : 'u+rwX,go-rwx', '--', real]);
    },
    asTenant,
    async copyPlatformTree(source, dest) {
      const staging = await newStaging();
      try {
        await run('cp', ['-a', '--reflink=auto', '--', source, join(staging, 'tree')], { timeoutMs: COPY_TIMEOUT_MS });
        // Readable by the tenant's group, writable by nobody but root.
        if (owner) await run('chown', ['-R', '-h', `0:${owner.gid}`, '--', staging]);
        await run('chmod', ['-R', 'u+rwX,g+rX,g-w,o-rwx', '--', staging]);
        await asTenant('cp', [...TENANT_CP, join(staging, 'tree'), dest], { timeoutMs: COPY_TIMEOUT_MS });
      } finally {
        await removeStaging(staging);
      }
    },
    async movePlatformTree(source, dest) {
      const staging = await newStaging();
      const tree = join(staging, 'tree');
      try {
        await run('mv', ['-T', '--', source, tree], { timeoutMs: COPY_TIMEOUT_MS });
        if (owner) {
          await run('chown', ['-R', '-h', `${owner.uid}:${owner.gid}`, '--', tree]);
          await run('chmod', ['-R', 'u+rwX,go-w', '--', tree]);
          // Everything inside is the tenant's now: the tenant may enter and take it.
          await run('chown', ['-h', `${owner.uid}:${owner.gid}`, '--', staging]);
        }
        await asTenant('mv', ['-T', '--', tree, dest], { timeoutMs: COPY_TIMEOUT_MS });
      } finally {
        await removeStaging(staging);
      }
    },
    async copyTenantTree(source, dest) {
      const staging = await newStaging();
      try {
        if (owner) await run('chown', ['-h', `${owner.uid}:${owner.gid}`, '--', staging]);
        await asTenant('cp', [...TENANT_CP, source, join(staging, 'tree')], { timeoutMs: COPY_TIMEOUT_MS });
        // From here on root's (the top first, so the tenant can no longer reach into it).
        await run('chown', ['-h', '0:0', '--', staging]);
        await run('chown', ['-R', '-h', '0:0', '--', staging]);
        await run('chmod', ['-R', 'go-rwx', '--', staging]);
        await rename(join(staging, 'tree'), dest);
      } finally {
        await removeStaging(staging);
      }
    },
    close: () => pool.end(),
  };
}
