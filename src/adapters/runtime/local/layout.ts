/**
 * Where everything of the local runtime lives, and with which modes: this file is the one place
 * that decides. Nothing is written to /etc (Unix users aside, which only root can create): each
 * bbws data dir is a self-contained installation, so tests run several side by side.
 *
 * The data dir holds what is the platform's own (state.db, logs/, secrets/, jwt.key, backups…):
 * every entry but `runtime/` is 0600/0700 root (data-dir.ts). The **runtime tree** holds what tenant
 * users and nginx's workers must reach. It is `<dataDir>/runtime` when every parent of the data dir
 * is searchable by others (then the data dir is 0711: entered, never listed), else — a clone in
 * root's 0700 home, or a data dir whose path holds characters config files cannot take unquoted
 * (a space, `[`, `*`…) — `/var/lib/bbws/<key>` (key: a hash of the data dir's real path; the data dir
 * then stays 0700). The choice is recorded in `<dataDir>/runtime-root` and kept from then on.
 *
 * ```
 * <runtime>/                    0711 root
 *   instance-id                 0600   4 hex chars: keeps Unix user names of two data dirs apart
 *   mariadb/                    0700 mysql   data/ run/mysqld.sock port error.log (tenants use TCP)
 *   php-fpm/                    0710 root:<web group>   (nginx reaches run/, nothing else)
 *     pools/<service>.json      0700 dir   desired pool per tenant (shard, capacity, user)
 *     shard-<n>.conf .log .out  0600       rendered master config and logs
 *     run/                      0710 root:<web group>   <n>.<gen>/<service>.sock (0660 tenant:web)
 *   edge/                       0710 root:<web group>
 *     nginx.conf 0600  htpasswd 0640 root:<web group>  logs/ 0700 (access, error)  tmp/ 0710
 *     routes/<hostname>         0710 dir; symlink → tenants/<t>/www        (the route table)
 *     sockets/<hostname>.sock   0710 dir; symlink → php-fpm/run/<service>.sock
 *     cache/                    0700 <web user>   page cache files (render-nginx-cache.ts): platform data
 *     cache-off/<hostname>      0710 dir; flag file: that host's page cache is off
 *   purge/                      0711 root   purge.sock 0666: the cache mu-plugin's purge requests (purge-server.ts)
 *     tls/<hostname>.pem        0710 dir; 0640 root:<web group> chain + key (render-nginx-tls.ts)
 *     acme-challenge/<token>    0710 dir; 0640 root:<web group> HTTP-01 answers
 *   tenants/                    0711 root
 *     <t>/                      0751 root:<tenant group> (tenant-files.ts: www/, content/, logs/, tmp/)
 * ```
 */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { safeName, safePath, safeTenantId } from './escape.js';

/**
 * The umask of the bbws process: whatever it or a child creates is private unless given a mode on
 * purpose (data-dir.ts sets it at start; the runtime sets it too, for embedders that start only it).
 */
export const PRIVATE_UMASK = 0o077;
/**
 * The umask of php-fpm masters, inherited by the tenants' PHP: what WordPress and plugins write is
 * group-readable (content/ is setgid to the web group, so nginx can serve it), never world-readable.
 */
export const TENANT_PHP_UMASK = 0o027;

/** Where runtime trees of data dirs with private parents go (one `<key>/` per data dir). */
export const RELOCATED_RUNTIME_BASE = '/var/lib/bbws';
/** The file in the data dir that records where its runtime tree is. */
export const RUNTIME_RECORD = 'runtime-root';

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
  /** Suspended host names (edge-suspensions.ts): nginx workers stat them, nobody else writes. */
  edgeSuspended: string;
  edgeLogs: string;
  edgeTmp: string;
  edgeCache: string;
  edgeCacheOff: string;
  purgeSocket: string;
  edgeTls: string;
  edgeAcmeChallenge: string;
  tenantsDir: string;
  instanceIdFile: string;
}

/** The default runtime tree, inside the data dir. */
const insideDataDir = (dataDir: string) => join(dataDir, 'runtime');

/** `/var/lib/bbws/<key>`: key = the first 16 hex digits of sha256(realpath of the data dir). */
export function relocatedRuntimeRoot(dataDir: string): string {
  const real = realpathSync(dataDir);
  return join(RELOCATED_RUNTIME_BASE, createHash('sha256').update(real).digest('hex').slice(0, 16));
}

/**
 * The runtime tree of `dataDir` as recorded (or `<dataDir>/runtime` when nothing is recorded:
 * data dirs made before the record existed, and non-root runs). Sync and side-effect free, so
 * test cleanups and teardowns find the tree of a data dir that never finished starting.
 */
export function runtimeRootOf(dataDir: string): string {
  let recorded = '';
  try {
    recorded = readFileSync(join(dataDir, RUNTIME_RECORD), 'utf8').trim();
  } catch {
    return safePath(insideDataDir(dataDir));
  }
  // Only two answers are legitimate; anything else in the record is refused, not followed.
  if (recorded === insideDataDir(dataDir) || (dirname(recorded) === RELOCATED_RUNTIME_BASE && /^[0-9a-f]{16}$/.test(recorded.slice(RELOCATED_RUNTIME_BASE.length + 1)))) return safePath(recorded);
  throw new Error(`${join(dataDir, RUNTIME_RECORD)} names ${JSON.stringify(recorded)}, which is not a runtime tree bbws makes`);
}

function isSafePath(path: string): boolean {
  try {
    safePath(path);
    return true;
  } catch {
    return false;
  }
}

/** The first parent of `dir` (by real path) that others cannot search (no o+x), or null. */
export function privateParentOf(dir: string): string | null {
  for (let d = dirname(realpathSync(dir)); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return d;
    if (d === '/') return null;
  }
}

/**
 * Decides (once) where the runtime tree of `dataDir` lives and records it: inside the data dir,
 * unless a parent is private and we are root (tenants' PHP, nginx's workers and mysqld must reach
 * it; without root all of them run as the current user and need nothing from others).
 */
export function chooseRuntimeRoot(dataDir: string, isRoot: boolean): { root: string; relocated: boolean } {
  const record = join(dataDir, RUNTIME_RECORD);
  if (!existsSync(record)) {
    // A `runtime/` left by older code under a private parent never served anyone (mysqld could
    // not even initialise there): it is left alone, and the tree is laid out afresh outside.
    // A data dir whose path cannot be written into nginx/php-fpm config unquoted (a space, `[`,
    // `*`, `?`…: a clone directory may have any name) keeps its runtime tree out of it too.
    const relocate = isRoot && (privateParentOf(dataDir) !== null || !isSafePath(insideDataDir(dataDir)));
    writeFileSync(record, `${relocate ? relocatedRuntimeRoot(dataDir) : insideDataDir(dataDir)}\n`, { mode: 0o600 });
  }
  const root = runtimeRootOf(dataDir);
  if (root !== insideDataDir(dataDir)) {
    mkdirSync(RELOCATED_RUNTIME_BASE, { recursive: true, mode: 0o711 });
    chmodSync(RELOCATED_RUNTIME_BASE, 0o711);
    const parent = privateParentOf(RELOCATED_RUNTIME_BASE);
    if (parent) throw new Error(`${parent} is not searchable by others, so tenants cannot reach ${RELOCATED_RUNTIME_BASE}: chmod o+x ${parent}`);
  }
  return { root, relocated: root !== insideDataDir(dataDir) };
}

/**
 * The data dir's own mode: others may search it (0711, never list it) only when the runtime tree
 * is inside and tenants must pass through; otherwise 0700. Its other bits are data-dir.ts's.
 */
export function dataDirMode(current: number, runtimeInside: boolean, isRoot: boolean): number {
  const owner = (current & 0o700) | 0o700;
  return runtimeInside && isRoot ? owner | 0o011 : owner;
}

/** Removes the runtime tree of `dataDir` when it lives outside it (hard teardown, test cleanup). */
export function removeRelocatedRuntime(dataDir: string): void {
  let root: string;
  try {
    root = runtimeRootOf(dataDir);
  } catch {
    return;
  }
  if (root !== insideDataDir(dataDir)) rmSync(root, { recursive: true, force: true });
}

/** The layout of the runtime tree of `dataDir` (runtimeRootOf: call chooseRuntimeRoot first on start). */
export function createLayout(dataDir: string): Layout {
  return layoutAt(runtimeRootOf(dataDir));
}

export function layoutAt(runtimeRoot: string): Layout {
  const root = safePath(runtimeRoot);
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
    edgeSuspended: join(root, 'edge', 'suspended'),
    edgeLogs: join(root, 'edge', 'logs'),
    edgeTmp: join(root, 'edge', 'tmp'),
    edgeCache: join(root, 'edge', 'cache'),
    edgeCacheOff: join(root, 'edge', 'cache-off'),
    purgeSocket: join(root, 'purge', 'purge.sock'),
    edgeTls: join(root, 'edge', 'tls'),
    edgeAcmeChallenge: join(root, 'edge', 'acme-challenge'),
    tenantsDir: join(root, 'tenants'),
    instanceIdFile: join(root, 'instance-id'),
  };
}

/**
 * Creates the runtime tree's directories and (re)sets their modes, also on a tree made by older
 * code (whose files were 0644 in 0755 directories). `webGid`: the nginx workers' group (root
 * only; null: everything runs as the current user and the tree is private to it).
 */
export function prepareRuntimeTree(layout: Layout, webGid: number | null, webUid: number | null = null): void {
  const shared = webGid !== null;
  for (const [dir, mode, web] of runtimeTreeModes(layout, shared)) {
    mkdirSync(dir, { recursive: true, mode });
    if (shared) chownSync(dir, 0, web ? webGid : 0);
    chmodSync(dir, mode);
  }
  // The page cache is the edge's own (its workers write it) and nobody else's: not even the web group's.
  mkdirSync(layout.edgeCache, { recursive: true, mode: 0o700 });
  if (shared && webUid !== null) chownSync(layout.edgeCache, webUid, webGid);
  chmodSync(layout.edgeCache, 0o700);
  // Files of an older tree: logs and configs were 0644. Sockets, symlinks and pid files keep theirs.
  for (const dir of [layout.phpFpmDir, layout.edgeLogs]) privatizeFiles(dir);
  privatizeFiles(layout.edgeDir, (name) => !name.startsWith('htpasswd'));
  if (existsSync(layout.instanceIdFile)) chmodSync(layout.instanceIdFile, 0o600);
}

/**
 * The runtime tree's directories, their modes and whether their group is the web group
 * (`shared`: bbws runs as root and the tree is shared with tenants and nginx). `bbws doctor`
 * checks the tree against the same list.
 */
export function runtimeTreeModes(layout: Layout, shared: boolean): Array<[string, number, boolean]> {
  return [
    // [path, mode, group = web group]
    [layout.root, shared ? 0o711 : 0o700, false],
    [layout.tenantsDir, shared ? 0o711 : 0o700, false],
    [layout.phpFpmDir, 0o710, true],
    [layout.phpFpmPools, 0o700, false],
    [layout.phpFpmRun, 0o710, true],
    [layout.edgeDir, 0o710, true],
    [layout.edgeRoutes, 0o710, true],
    [layout.edgeSockets, 0o710, true],
    [layout.edgeSuspended, 0o710, true],
    [layout.edgeTmp, 0o710, true],
    [layout.edgeTls, 0o710, true],
    [layout.edgeAcmeChallenge, 0o710, true],
    [layout.edgeLogs, 0o700, false],
    [layout.edgeCacheOff, 0o710, true],
    [dirname(layout.purgeSocket), shared ? 0o711 : 0o700, false],
  ];
}

/**
 * Gives each tenant's `www/wp-content` link its target's owner (trees made by older code have it
 * root's, and nginx's `disable_symlinks if_not_owner` would then refuse every upload and plugin
 * asset). Safe as root: www/ and the tenant dir are root's, so the tenant cannot swap either.
 */
export function alignDocrootLinks(layout: Layout): void {
  for (const name of readdirNames(layout.tenantsDir)) {
    const www = join(layout.tenantsDir, name, 'www');
    const link = join(www, 'wp-content');
    const wwwStat = lstatOrNull(www);
    const linkStat = lstatOrNull(link);
    if (!wwwStat?.isDirectory() || wwwStat.uid !== 0 || !linkStat?.isSymbolicLink()) continue;
    let target: Stats;
    try {
      target = statSync(link);
    } catch {
      continue;
    }
    if (linkStat.uid !== target.uid || linkStat.gid !== target.gid) lchownSync(link, target.uid, target.gid);
  }
}

const readdirNames = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);
const lstatOrNull = (p: string): Stats | null => {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
};

/** chmod 0600 the regular files directly in `dir` (not below, not through symlinks). */
function privatizeFiles(dir: string, keep: (name: string) => boolean = () => true): void {
  for (const name of readdirNames(dir)) {
    if (!keep(name)) continue;
    const p = join(dir, name);
    const st = lstatOrNull(p);
    if (st?.isFile() && (st.mode & 0o077) !== 0) chmodSync(p, st.mode & 0o700);
  }
}
/**
 * `<tenant>/verify/<id>/`: restored backups being served for verification (adapters/backup/scratch-serve.ts),
 * root's, inside the tenant's gate so that its pool (and nothing else) runs them. Not the tenant's
 * files: the disk quota does not count them (disk-quota.ts).
 */
export const SCRATCH_COPIES_DIR = 'verify';

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

/** The files of shards and their generations in the runtime tree. */
export function shardPaths(layout: Layout) {
  const genDir = (shard: number, gen: number) => join(layout.phpFpmRun, `${shard}.${gen}`);
  return {
    /** The stable config path of a shard (a symlink to its current generation's file). */
    liveConf: (shard: number) => join(layout.phpFpmDir, `shard-${shard}.conf`),
    genConf: (shard: number, gen: number) => join(layout.phpFpmDir, `shard-${shard}.g${gen}.conf`),
    genDir,
    /** A pool's socket in one generation; tenants reach it through their stable `run/<name>.sock` link. */
    realSocket: (shard: number, gen: number, name: string) => join(genDir(shard, gen), `${safeName(name)}.sock`),
    logFile: (shard: number) => join(layout.phpFpmDir, `shard-${shard}.log`),
  };
}
