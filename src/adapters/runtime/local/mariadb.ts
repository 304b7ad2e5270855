/**
 * The database server of the local runtime: either bbws's own MariaDB (a supervised child with
 * datadir, socket and a 127.0.0.1 port under the data dir, administered as the OS user through
 * the unix_socket plugin — no admin password exists anywhere), or an external MySQL/MariaDB given
 * by `mysqlUrl` (like RDS), administered with the URL's credentials from a 0600 option file.
 * SQL goes to the `mariadb` client on stdin; every identifier and literal is built by escape.ts.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile, chown, chmod, readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { Logger } from '../../../ports/logger.js';
import { ExecError, run } from './exec.js';
import { mysqlOptionValue, safeDbHost, safeInt, safePort, sqlIdentifier, sqlString } from './escape.js';
import { listenerIsOwnedBy } from '../../os/processes.js';
import { pidRecordDir } from './leftovers.js';
import { superviseProcess, waitFor, type Supervised } from './supervisor.js';
import type { Layout } from './layout.js';
import { lookupUser } from './unix-users.js';

export interface DatabaseServer {
  /** How tenants reach the server (`DB_HOST` is `host:port`). */
  readonly tenantHost: { host: string; port: number };
  /** Runs SQL as the administrator and returns the tab-separated output. */
  sql(statements: string): Promise<string>;
  /**
   * Connection options of the administrator for the `mariadb` and `mariadb-dump` clients (a socket
   * or a 0600 option file: never a password on argv). Backups dump and load with them.
   */
  readonly clientArgs: readonly string[];
  /** Database + user with grants on that database only. Idempotent; re-sets the password. */
  ensureTenantDatabase(db: string, user: string, password: string): Promise<void>;
  /**
   * The passwords the tenant user may log in with: one, or two during a rotation (the new one
   * first), so connections made with either succeed while wp-config.php changes. Idempotent.
   */
  setTenantPasswords(user: string, passwords: readonly [string] | readonly [string, string]): Promise<void>;
  /** Drops both. Idempotent. */
  dropTenantDatabase(db: string, user: string): Promise<void>;
  /** Raised as pools are added; `max_connections` is dynamic, no restart. */
  setMaxConnections(n: number): Promise<void>;
  /**
   * The tenant user's resource limits: MAX_USER_CONNECTIONS, and (MariaDB only) MAX_STATEMENT_TIME,
   * after which a query is aborted. Applies to new connections. Idempotent.
   */
  setTenantLimits(user: string, limits: { connections: number; statementTimeSeconds: number }): Promise<void>;
  supervised: Supervised | null;
  stop(): Promise<void>;
}

/** Picks a free TCP port on 127.0.0.1 (the OS chooses; the port is released before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** `'user'@'%'`: the user may connect from anywhere the server listens (RDS-like); its grants confine it. */
function account(user: string): string {
  sqlIdentifier(user);
  return `${sqlString(user)}@'%'`;
}

/** In GRANT, `_` and `%` in a database name are wildcards: escape them so the grant is exact. */
function grantDatabase(db: string): string {
  sqlIdentifier(db);
  return '`' + db.replace(/_/g, '\\_') + '`';
}

function tenantSql(db: string, user: string, password: string): string {
  return [
    `CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(db)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`,
    `CREATE USER IF NOT EXISTS ${account(user)} IDENTIFIED BY ${sqlString(password)};`,
    `ALTER USER ${account(user)} IDENTIFIED BY ${sqlString(password)};`,
    `GRANT ALL PRIVILEGES ON ${grantDatabase(db)}.* TO ${account(user)};`,
  ].join('\n');
}

/**
 * MariaDB (10.4+) accepts several authentication methods per account (`IDENTIFIED VIA … OR …`):
 * the same plugin twice is two passwords. MySQL 8 keeps a secondary one (`RETAIN CURRENT PASSWORD`).
 */
export function passwordsSql(user: string, passwords: readonly [string] | readonly [string, string], mariadb: boolean): string {
  const [next, previous] = passwords;
  if (mariadb) {
    const via = passwords.map((p) => `mysql_native_password USING PASSWORD(${sqlString(p)})`).join(' OR ');
    return previous === undefined ? `ALTER USER ${account(user)} IDENTIFIED BY ${sqlString(next)};` : `ALTER USER ${account(user)} IDENTIFIED VIA ${via};`;
  }
  return previous === undefined
    ? `ALTER USER ${account(user)} IDENTIFIED BY ${sqlString(next)};\nALTER USER ${account(user)} DISCARD OLD PASSWORD;`
    : `ALTER USER ${account(user)} IDENTIFIED BY ${sqlString(previous)};\nALTER USER ${account(user)} IDENTIFIED BY ${sqlString(next)} RETAIN CURRENT PASSWORD;`;
}

function dropSql(db: string, user: string): string {
  return [`DROP DATABASE IF EXISTS ${sqlIdentifier(db)};`, `DROP USER IF EXISTS ${account(user)};`].join('\n');
}

function makeServer(
  tenantHost: { host: string; port: number },
  clientArgs: string[],
  supervised: Supervised | null,
  canSetGlobals: boolean,
  afterStop: () => Promise<void> = async () => undefined,
): DatabaseServer {
  const sql = async (statements: string) => (await run('mariadb', [...clientArgs, '--batch', '--skip-column-names'], { input: statements, timeoutMs: 30_000 })).stdout;
  let isMariaDb: Promise<boolean> | undefined;
  return {
    tenantHost,
    sql,
    clientArgs,
    supervised,
    ensureTenantDatabase: async (db, user, password) => void (await sql(tenantSql(db, user, password))),
    async setTenantPasswords(user, passwords) {
      isMariaDb ??= sql('SELECT VERSION();').then((v) => /mariadb/i.test(v));
      await sql(passwordsSql(user, passwords, await isMariaDb));
    },
    // An undo must converge: when the server is restarting (supervisor backoff), wait for it.
    dropTenantDatabase: async (db, user) =>
      waitFor(
        'database server for DROP',
        async () => {
          try {
            await sql(dropSql(db, user));
          } catch (e) {
            if (e instanceof ExecError && /ERROR 20(02|03|06|13)|Can't connect|Lost connection/.test(e.stderr)) throw e;
            throw Object.assign(e as Error, { fatal: true });
          }
        },
        60_000,
        250,
        (e) => (e as { fatal?: boolean }).fatal === true,
      ),
    async setTenantLimits(user, limits) {
      const statement = canSetGlobals ? ` MAX_STATEMENT_TIME ${safeInt(limits.statementTimeSeconds, 1, 86400)}` : '';
      await sql(`ALTER USER ${account(user)} WITH MAX_USER_CONNECTIONS ${safeInt(limits.connections, 1, 100000)}${statement};`);
    },
    async setMaxConnections(n) {
      if (canSetGlobals) await sql(`SET GLOBAL max_connections = ${safeInt(n, 10, 100000)};`);
    },
    stop: async () => {
      await supervised?.stop(30_000);
      await afterStop();
    },
  };
}

const MIN_TMPFS_BYTES = 1024 ** 3;

/**
 * mariadbd's `tmpdir` (implicit on-disk temporary tables, filesort files) on tmpfs when the host
 * has /dev/shm. WordPress's not-installed check alone runs 12 `DESCRIBE`s per request, each an
 * on-disk Aria temporary table: 48 file creations and unlinks per request on ext4 /tmp, where the
 * inode allocation made mariadbd the busiest process of a neighbour benchmark. Named after the data
 * dir, so two platforms on one host never share it; emptied at each start and removed at stop.
 * Hosts whose /dev/shm is smaller than {@link MIN_TMPFS_BYTES} keep mariadbd's default (/tmp).
 */
async function prepareTmpDir(dataDir: string, owner: { uid: number; gid: number } | null): Promise<string | null> {
  const shm = '/dev/shm';
  // A container's /dev/shm is often 64 MB: a large sort there would fail where ext4 would not.
  const size = await statfs(shm).then((st) => st.blocks * st.bsize, () => 0);
  if (size < MIN_TMPFS_BYTES) return null;
  const dir = join(shm, `bbws-mariadb-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { mode: 0o700 });
  if (owner) await chown(dir, owner.uid, owner.gid);
  return dir;
}

export interface EmbeddedMariaDbOptions {
  layout: Layout;
  logger: Logger;
  /** Fixed port; default: the one chosen on first start, kept in `mariadb/port`. */
  port?: number;
  maxConnections: number;
  /** OS user mariadbd runs as and that administers it (unix_socket auth). */
  osUser: string;
  runAsRoot: boolean;
}

/** Initialises (first time) and starts bbws's own MariaDB. */
export async function startEmbeddedMariaDb(o: EmbeddedMariaDbOptions): Promise<DatabaseServer> {
  const { layout } = o;
  const runDir = join(layout.mariadbDir, 'run');
  await mkdir(layout.mariadbData, { recursive: true });
  await mkdir(runDir, { recursive: true });
  let owner: { uid: number; gid: number } | null = null;
  if (o.runAsRoot) {
    // mariadbd refuses to run as root; it runs as `mysql` and owns only its own directory.
    owner = (await lookupUser('mysql')) ?? null;
    if (!owner) throw new Error('the mysql user is missing: run `bbws setup` (it comes with mariadb-server)');
    for (const d of [layout.mariadbDir, layout.mariadbData, runDir]) await chown(d, owner.uid, owner.gid);
  }
  const tmpDir = await prepareTmpDir(layout.mariadbData, owner);
  // Tenants reach MariaDB over TCP only: its data, socket and logs are the platform's alone.
  await chmod(layout.mariadbDir, 0o700);

  const initialised = (await readdir(layout.mariadbData)).includes('mysql');
  if (!initialised) {
    o.logger.info({ datadir: layout.mariadbData }, 'initialising MariaDB data directory');
    // --no-defaults: never read /etc/mysql; socket auth: no admin password to store or leak. Its
    // bootstrap server gets a temp dir of its own: in the shared /tmp, its temporary tables were
    // seen to vanish under it on a busy host ("Unknown table 'mysql.tmp_user_sys'").
    const installTmp = tmpDir ?? join(layout.mariadbDir, 'install-tmp');
    await mkdir(installTmp, { recursive: true, mode: 0o700 });
    if (owner) await chown(installTmp, owner.uid, owner.gid);
    try {
      await run('mariadb-install-db', ['--no-defaults', `--datadir=${layout.mariadbData}`, `--user=${o.osUser}`, '--auth-root-authentication-method=socket', '--skip-test-db', `--tmpdir=${installTmp}`], { timeoutMs: 120_000 });
    } finally {
      if (!tmpDir) await rm(installTmp, { recursive: true, force: true });
    }
  }

  let port = o.port;
  if (port === undefined) {
    const saved = await readFile(layout.mariadbPortFile, 'utf8').catch(() => '');
    port = saved.trim() ? Number(saved.trim()) : await freePort();
  }
  safePort(port);
  await writeFile(layout.mariadbPortFile, `${port}\n`);

  const admin = o.runAsRoot ? 'root' : o.osUser;
  const clientArgs = ['--no-defaults', `--socket=${layout.mariadbSocket}`, `--user=${admin}`];
  const supervised = await superviseProcess(
    {
      name: 'mariadb',
      command: 'mariadbd',
      args: [
        '--no-defaults',
        `--datadir=${layout.mariadbData}`,
        `--socket=${layout.mariadbSocket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--pid-file=${join(runDir, 'mariadbd.pid')}`,
        `--log-error=${layout.mariadbErrorLog}`,
        `--user=${o.osUser}`,
        '--skip-name-resolve',
        ...(tmpDir ? [`--tmpdir=${tmpDir}`] : []),
        `--max-connections=${safeInt(o.maxConnections, 10, 100000)}`,
        // Sized for many small, mostly idle WordPress databases, not for one big one.
        '--innodb-buffer-pool-size=128M',
        // Touched at start-up whatever the load (measured, mariadbd with 300 empty tenant DBs):
        // 102 MB RSS with the defaults (Aria page cache 128M, key buffer 128M, log buffer 16M),
        // 60 MB with these. MyISAM is unused; Aria holds only system tables and temp tables.
        // (The InnoDB buffer pool costs only the pages it caches: 64M or 128M made 1 MB difference.)
        '--aria-pagecache-buffer-size=8M',
        '--key-buffer-size=8M',
        '--innodb-log-buffer-size=4M',
        '--table-open-cache=2000',
        '--performance-schema=OFF',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
      ],
      logFile: join(layout.mariadbDir, 'mariadbd.out'),
      // Ready when the socket answers AND is held by this mariadbd: a leftover server of a killed run
      // answered the probe while the new one looped on "Can't lock aria control file" (leftovers.ts).
      ready: (pid) =>
        waitFor('MariaDB', async () => {
          await run('mariadb', [...clientArgs, '-e', 'SELECT 1'], { timeoutMs: 5_000 });
          if (listenerIsOwnedBy(pid, { unixPath: layout.mariadbSocket }) === false) throw new Error(`${layout.mariadbSocket} is held by another process`);
        }, 60_000, 100),
      owns: (pid) => listenerIsOwnedBy(pid, { unixPath: layout.mariadbSocket }),
      pidDir: pidRecordDir(layout.root),
      // As mysql from the start (setpriv), so that the parent-death signal survives (supervisor.ts).
      runAs: o.runAsRoot ? o.osUser : undefined,
    },
    o.logger,
  );
  const server = makeServer({ host: '127.0.0.1', port }, clientArgs, supervised, true, async () => {
    if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
  });
  // Anonymous accounts would shadow 'x_user'@'%' for local connections ("access denied").
  await server.sql("DROP USER IF EXISTS ''@'localhost';");
  return server;
}

/** Parses `mysql://user:pass@host:port` and connects to that server as its administrator. */
export async function connectExternalMySql(url: string, layout: Layout): Promise<DatabaseServer> {
  const u = new URL(url);
  if (u.protocol !== 'mysql:') throw new Error('mysqlUrl must start with mysql://');
  const host = safeDbHost(u.hostname);
  const port = safePort(u.port ? Number(u.port) : 3306);
  const optionFile = join(layout.mariadbDir, 'external-admin.cnf');
  await mkdir(layout.mariadbDir, { recursive: true, mode: 0o700 });
  // Credentials go to a 0600 option file, never to argv (visible in ps) or the environment.
  await writeFile(
    optionFile,
    `[client]\nhost=${host}\nport=${port}\nuser=${mysqlOptionValue(decodeURIComponent(u.username))}\npassword=${mysqlOptionValue(decodeURIComponent(u.password))}\n`,
    { mode: 0o600 },
  );
  await chmod(optionFile, 0o600);
  const server = makeServer({ host, port }, [`--defaults-extra-file=${optionFile}`, '--protocol=TCP'], null, false);
  await server.sql('SELECT 1;');
  return server;
}

/** Removes the option file written for an external server (used on stop in tests). */
export async function forgetExternalMySql(layout: Layout): Promise<void> {
  await rm(join(layout.mariadbDir, 'external-admin.cnf'), { force: true });
}
