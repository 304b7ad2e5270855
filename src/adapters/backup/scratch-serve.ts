/**
 * The last part of `verify` (docs/backups.md "Verify"): the restored copy served as a website.
 * After the scratch restore and its comparisons (scratch-restore.ts), the copy is laid out inside
 * the tenant's own tree and answered by the real edge and the tenant's own php-fpm pool on a
 * scratch host no tenant can claim (`verify-<id>[-<site>].bbws.invalid`), then each site's
 * homepage is fetched through the edge and judged (domain/backup-homepage.ts).
 *
 * - `<tenant>/verify/<id>/` (root's, 0755, inside the tenant's gate: only its pool and the edge
 *   pass): `www/` links into the shared core like the tenant's docroot, `wp-content` → `content/`
 *   (the restored files, moved out of the scratch dir; a site backup links the tenant's own root-owned
 *   themes/ and plugins/), `sites-map.json` and `wp-config.php` (0640 root:<tenant group>).
 * - The pool runs that wp-config.php because the tenant's prepend takes ABSPATH from nginx's
 *   real docroot when it is such a copy's (render-wp-config.ts); the edge's rules (disable_symlinks,
 *   no PHP from uploads) apply unchanged. Every answer carries `X-Bbws-Scratch: <id>`: the check
 *   fails when it is missing, so the live site can never pass for the copy.
 * - The scratch database gets a user of its own (`bbws_scratch_<id>`, ALL on that database only),
 *   with a random password that exists in memory and in that wp-config.php alone: never logged,
 *   never in the record, removed with the rest.
 * - The request carries the `wordpress_no_cache` cookie: the page cache neither answers nor stores it.
 *
 * Everything is removed when the check ends, also on failure; a kill -9 leaves routes (removed
 * by the next start, nginx.ts), directories and DB users, which {@link removeServeLeftovers} (run
 * before every backup job) removes, sparing the copies this process is working on.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { chmod, lstat, mkdir, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupRecord, HomepageCheck } from '../../domain/backup.js';
import { decodeEntities, documentTitle, homepageTargets, judgeHomepage, type HomepageAnswer } from '../../domain/backup-homepage.js';
import { tablePrefix } from '../../domain/site.js';
import { run } from '../runtime/local/exec.js';
import { sqlIdentifier, sqlString } from '../runtime/local/escape.js';
import type { LocalRuntime } from '../runtime/local/local-runtime.js';
import type { DatabaseServer } from '../runtime/local/mariadb.js';
import { VERIFY_ROUTE } from '../runtime/local/nginx.js';
import { SALT_KEYS, type Salts } from '../runtime/local/render-wp-config.js';
import { linkWordPressCore, muPluginsDir, scratchCopiesDir, writePrepend, writeTenantDataFile, writeWpConfig } from '../runtime/local/tenant-files.js';
import { renderSitesMap, siteHomeUrl } from '../wordpress/local/sites-map.js';
import { scratchDbName } from './backup-paths.js';
import type { ScratchCopy } from './scratch-restore.js';

/** How long one homepage may take (WordPress's first request on a cold opcode cache included). */
const HOMEPAGE_TIMEOUT_MS = 30_000;
/** Enough HTML to find `<title>` in `<head>`. */
const MAX_BODY_BYTES = 512 * 1024;

const exists = (p: string) => lstat(p).then(() => true, () => false);

/**
 * A root-owned 0755 directory (bbws's umask is 0077): inside the tenant's gate "others" are the
 * tenant's pool and the edge alone (runtime/local/tenant-files.ts), both of which must enter it.
 */
async function mkdirOpen(dir: string): Promise<void> {
  await mkdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  await chmod(dir, 0o755);
}

/** `verify-<id>[-<site>].bbws.invalid`: matches VERIFY_ROUTE (nginx.ts). */
export const scratchHost = (id: string, siteId: string | null) => `verify-${id}${siteId ? `-${siteId}` : ''}.bbws.invalid`;

function getHomepage(runtime: LocalRuntime, host: string, scratchId: string): Promise<HomepageAnswer> {
  const edge = new URL(runtime.edgeUrl);
  const headers: Record<string, string> = { Host: `${host}:${runtime.config.edgePort}`, 'User-Agent': 'bbws-backup-verify', Cookie: 'wordpress_no_cache=1' };
  if (runtime.basicAuth) headers.Authorization = `Basic ${Buffer.from(`${runtime.basicAuth.user}:${runtime.basicAuth.password}`).toString('base64')}`;
  return new Promise((resolve) => {
    const req = request({ host: edge.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(edge.port), path: '/', method: 'GET', headers, timeout: HOMEPAGE_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY_BYTES) chunks.push(c);
        size += c.length;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          location: typeof res.headers.location === 'string' ? res.headers.location : null,
          fromScratchCopy: res.headers['x-bbws-scratch'] === scratchId,
          title: documentTitle(Buffer.concat(chunks).toString('utf8')),
          error: null,
        }),
      );
      res.on('error', (e) => resolve({ status: res.statusCode ?? 0, location: null, fromScratchCopy: false, title: null, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${HOMEPAGE_TIMEOUT_MS / 1000} s`)));
    req.on('error', (e) => resolve({ status: 0, location: null, fromScratchCopy: false, title: null, error: e.message }));
    req.end();
  });
}

/** Lays the copy's files out in the tenant's tree: `content/` moved in (a rename), `www/` linked to core. */
async function layOutFiles(runtime: LocalRuntime, record: BackupRecord, copy: ScratchCopy, root: string): Promise<void> {
  const live = runtime.tenantPaths(record.tenantId!);
  const content = join(root, 'content');
  const restored = copy.files !== null && (await exists(copy.files)) ? copy.files : null;
  if (record.scope === 'site') {
    await mkdirOpen(content);
    await mkdirOpen(join(content, 'uploads'));
    await mkdirOpen(join(content, 'uploads', 'sites'));
    if (restored) await run('mv', ['-T', '--', restored, join(content, 'uploads', 'sites', record.siteId!)], { timeoutMs: 3_600_000 });
    // A site backup holds no code: the tenant's own (root's) themes and plugins, linked by root.
    for (const d of ['themes', 'plugins']) await symlink(join(live.content, d), join(content, d));
  } else if (restored) {
    // The scratch dir and the runtime tree are one file system unless the tree was relocated: then mv copies.
    await run('mv', ['-T', '--', restored, content], { timeoutMs: 3_600_000 });
  } else {
    await mkdirOpen(content);
  }
  await linkWordPressCore(join(root, 'www'), content);
}

/**
 * Serves the scratch copy and fetches each site's homepage through the edge. Returns one check per
 * site; throws only when the copy could not be laid out or served at all (the caller records it).
 * Removes everything it made before it returns or throws.
 */
export async function checkHomepages(runtime: LocalRuntime, record: BackupRecord, copy: ScratchCopy): Promise<HomepageCheck[]> {
  const targets = homepageTargets(record);
  if (!record.tenantId || targets.length === 0) return [];
  const tenantId = record.tenantId;
  const live = runtime.tenantPaths(tenantId);
  const socket = runtime.tenantSocket(tenantId);
  if (!(await exists(live.dir)) || !(await exists(socket))) {
    // A deleted tenant's backups are kept (retention): its data compared equal, but it has no pool to serve it.
    return targets.map((siteId) => ({ siteId, status: 0, title: null, expectedTitle: null, ms: 0, ok: true, note: `not served: tenant ${tenantId} has no php-fpm pool (deleted?); only the tables and files were compared` }));
  }
  const owner = await runtime.tenantOwner(tenantId);
  const root = join(scratchCopiesDir(live), copy.id);
  const database = copy.database ?? scratchDbName(copy.id);
  const user = scratchDbName(copy.id);
  const hosts = targets.map((siteId) => ({ siteId, host: scratchHost(copy.id, siteId) }));
  const www = join(root, 'www');
  try {
    await mkdirOpen(scratchCopiesDir(live));
    await mkdirOpen(root);
    await mkdirOpen(www);
    const password = randomBytes(24).toString('base64url');
    const sitesFile = join(root, 'sites-map.json');
    const sites = hosts.filter((h) => h.siteId !== null).map((h) => ({ siteId: h.siteId!, hostnames: [h.host] }));
    const salts = Object.fromEntries(SALT_KEYS.map((k) => [k, randomBytes(36).toString('base64url')])) as Salts;
    // Files, database user and config side by side (each mostly waits on a helper: mv, mariadb, php -l);
    // all settle before anything is removed.
    const settled = await Promise.allSettled([
      layOutFiles(runtime, record, copy, root),
      runtime.database.ensureTenantDatabase(database, user, password),
      (async () => {
        await writeTenantDataFile(sitesFile, renderSitesMap(sites, runtime.config.edgePort), owner);
        await writeWpConfig(
          { ...live, wpConfig: join(www, 'wp-config.php') },
          {
            dbName: database,
            dbUser: user,
            dbPassword: password,
            dbHost: `${runtime.database.tenantHost.host}:${runtime.database.tenantHost.port}`,
            contentDir: join(root, 'content'),
            salts,
            sitesFile,
            muPluginsDir: muPluginsDir(live),
            scratch: { id: copy.id, home: siteHomeUrl(scratchHost(copy.id, null), runtime.config.edgePort) },
          },
          owner,
        );
      })(),
      // A tenant provisioned before scratch copies existed gets the prepend that knows them (idempotent).
      writePrepend(live, owner),
    ]);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const h of hosts) await runtime.edge.addRoute(h.host, www, socket);
    return await Promise.all(
      hosts.map(async (h) => {
        const started = performance.now();
        const answer = await getHomepage(runtime, h.host, copy.id);
        return judgeHomepage(h.siteId, answer, record.titles ? (record.titles.find((t) => t.siteId === h.siteId)?.title ?? null) : undefined, performance.now() - started);
      }),
    );
  } finally {
    await removeScratchServe(runtime, tenantId, copy.id, hosts.map((h) => h.host));
  }
}

/** Routes first (no request reaches the copy), then the DB user and database, then the files. */
async function removeScratchServe(runtime: LocalRuntime, tenantId: string, id: string, hosts: string[]): Promise<void> {
  const root = join(scratchCopiesDir(runtime.tenantPaths(tenantId)), id);
  const errors: unknown[] = [];
  const attempt = (p: Promise<unknown>) => p.catch((e: unknown) => void errors.push(e));
  for (const h of hosts) await attempt(runtime.edge.removeRoute(h, join(root, 'www')));
  // No request reaches the copy any more: its account, database and files go side by side.
  await Promise.all([
    attempt(runtime.database.sql(`${dropUserSql(id)}\nDROP DATABASE IF EXISTS ${sqlIdentifier(scratchDbName(id))};`)),
    attempt(rm(root, { recursive: true, force: true })),
  ]);
  if (errors.length) throw errors[0];
}

const dropUserSql = (id: string) => `DROP USER IF EXISTS ${sqlString(scratchDbName(id))}@'%';`;

/**
 * What a killed verify left of its scratch serving: routes (a start removes them too), the
 * copies' directories in every tenant's tree, and `bbws_scratch_*` database users. Spares ids
 * `inUse` says are in flight. Returns what it removed.
 */
export async function removeServeLeftovers(runtime: LocalRuntime, inUse: (id: string) => boolean): Promise<string[]> {
  const removed: string[] = [];
  const { layout } = runtime;
  for (const name of await readdir(layout.edgeRoutes).catch(() => [] as string[])) {
    const m = VERIFY_ROUTE.exec(name);
    if (!m || m[3] || inUse(m[1]!)) continue;
    const target = await readlink(join(layout.edgeRoutes, name)).catch(() => null);
    if (target) await runtime.edge.removeRoute(name, target);
    removed.push(`route ${name}`);
  }
  for (const name of await readdir(layout.edgeSockets).catch(() => [] as string[])) {
    const m = VERIFY_ROUTE.exec(name);
    if (!m || inUse(m[1]!) || (await exists(join(layout.edgeRoutes, name.replace(/\.sock$/, ''))))) continue;
    await rm(join(layout.edgeSockets, name), { force: true });
    removed.push(`socket link ${name}`);
  }
  for (const tenant of await readdir(layout.tenantsDir).catch(() => [] as string[])) {
    const dir = join(layout.tenantsDir, tenant, 'verify');
    for (const id of await readdir(dir).catch(() => [] as string[])) {
      if (/^[a-z0-9]{12}$/.test(id) && inUse(id)) continue;
      await rm(join(dir, id), { recursive: true, force: true });
      removed.push(join(dir, id));
    }
  }
  const users = (await runtime.database.sql("SELECT User FROM mysql.user WHERE User LIKE 'bbws\\_scratch\\_%' AND Host = '%';")).split('\n').map((l) => l.trim());
  for (const u of users) {
    const id = /^bbws_scratch_([a-z0-9]{12})$/.exec(u)?.[1];
    if (!id || inUse(id)) continue;
    await runtime.database.sql(dropUserSql(id));
    removed.push(`database user ${u}`);
  }
  return removed;
}

/**
 * Each target site's `blogname` now (backup time), which verify expects in the restored homepage's
 * `<title>`: null for a site without an options table (not installed). Read beside the dump.
 */
export async function readSiteTitles(db: DatabaseServer, database: string, targets: Array<string | null>): Promise<Array<{ siteId: string | null; title: string | null }>> {
  const table = (siteId: string | null) => `${siteId ? tablePrefix(siteId) : 'wp_'}options`;
  const present = new Set(
    (await db.sql(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${sqlString(database)} AND TABLE_NAME IN (${targets.map((t) => sqlString(table(t))).join(', ')});`))
      .split('\n')
      .map((l) => l.trim()),
  );
  const asked = targets.filter((t) => present.has(table(t)));
  // HEX: the client's batch output escapes tabs, newlines and backslashes; hex comes back as it is.
  const rows = asked.length
    ? (await db.sql(asked.map((t) => `SELECT COALESCE((SELECT HEX(option_value) FROM ${sqlIdentifier(database)}.${sqlIdentifier(table(t))} WHERE option_name = 'blogname' LIMIT 1), '-');`).join('\n'))).split('\n')
    : [];
  return targets.map((siteId) => {
    const i = asked.indexOf(siteId);
    const hex = i < 0 ? '-' : (rows[i] ?? '-').trim();
    // WordPress stores the name HTML-escaped (sanitize_option): recorded as a visitor reads it.
    return { siteId, title: hex === '-' ? null : decodeEntities(Buffer.from(hex, 'hex').toString('utf8')) };
  });
}
