/**
 * Copying a site inside a tenant's database and content directory, and the table/directory
 * primitives that backup.ts and promote.ts share.
 *
 * Table name prefixes, all built from validated 10-character ids (never from user input):
 * - `s<siteId>_`  the live site (WordPress's `$table_prefix`),
 * - `w<siteId>_`  work tables being filled for that site (a clone, a promote, a restore),
 * - `o<siteId>_`  live tables just swapped out, dropped right after,
 * - `b<backupId>_` a backup (backup.ts).
 * All have the same length as `s<siteId>_`, so a copied table name never outgrows MySQL's 64.
 * Work tables are filled completely, then swapped in with ONE `RENAME TABLE` (atomic in
 * MariaDB/MySQL): readers see the old site or the new one, never a half-copied one.
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isValidSiteId } from '../../../domain/site.js';
import type { SiteRef } from '../../../ports/wordpress.js';
import { rewriteValue } from './serialized.js';
import type { SqlValue, TenantAccess } from './tenant-access.js';

export type PrefixKind = 's' | 'w' | 'o' | 'b';

/** `<kind><id>_`; throws unless `id` is a valid site/backup id (10 lowercase letters and digits). */
export function prefixOf(kind: PrefixKind, id: string): string {
  if (!isValidSiteId(id)) throw new Error(`invalid id for a table prefix: ${JSON.stringify(id)}`);
  return `${kind}${id}_`;
}

/** Suffixes come from the catalog: only plain identifiers are handled, anything else is refused, never quoted. */
const SUFFIX = /^[A-Za-z0-9_]{1,52}$/;

/** A backquoted table name from a validated prefix and suffix. */
export function table(prefix: string, suffix: string): string {
  if (!/^[swob][a-z0-9]{10}_$/.test(prefix) || !SUFFIX.test(suffix)) throw new Error(`refusing table name ${prefix}${suffix}`);
  return `\`${prefix}${suffix}\``;
}

function column(name: string): string {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`refusing column name ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

/** Suffixes of the base tables whose name starts with `prefix` (exact, case-sensitive), sorted. */
export async function listTables(access: TenantAccess, prefix: string): Promise<string[]> {
  const rows = await access.query<{ name: string }>(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND LEFT(TABLE_NAME, ?) = ?",
    [prefix.length, prefix],
  );
  return rows.map((r) => String(r.name)).filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)).sort();
}

export async function dropTables(access: TenantAccess, prefix: string): Promise<void> {
  const suffixes = await listTables(access, prefix);
  if (suffixes.length > 0) await access.query(`DROP TABLE IF EXISTS ${suffixes.map((s) => table(prefix, s)).join(', ')}`);
}

interface ColumnInfo {
  name: string;
  type: string;
  generated: boolean;
}

async function columnsOf(access: TenantAccess, prefix: string, suffix: string): Promise<{ columns: ColumnInfo[]; primaryKey: string[] }> {
  const name = `${prefix}${suffix}`;
  const cols = await access.query<{ name: string; type: string; extra: string }>(
    'SELECT COLUMN_NAME AS name, DATA_TYPE AS type, EXTRA AS extra FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [name],
  );
  const pk = await access.query<{ name: string }>(
    "SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
    [name],
  );
  return {
    columns: cols.map((c) => ({ name: String(c.name), type: String(c.type).toLowerCase(), generated: /GENERATED/i.test(String(c.extra ?? '')) })),
    primaryKey: pk.map((p) => String(p.name)),
  };
}

/**
 * Copies every `<fromPrefix>*` table to `<toPrefix>*` inside the server (CREATE TABLE … LIKE,
 * INSERT … SELECT): rows never travel through Node, so bytes, dates and numbers stay exact.
 * The inserts share one transaction, so the copy is consistent across tables. Returns the suffixes.
 */
export async function copyTables(access: TenantAccess, fromPrefix: string, toPrefix: string): Promise<string[]> {
  const suffixes = await listTables(access, fromPrefix);
  const lists = new Map<string, string>();
  for (const s of suffixes) {
    await access.query(`CREATE TABLE ${table(toPrefix, s)} LIKE ${table(fromPrefix, s)}`);
    const { columns } = await columnsOf(access, fromPrefix, s);
    lists.set(s, columns.filter((c) => !c.generated).map((c) => column(c.name)).join(', '));
  }
  await access.transaction(async (q) => {
    for (const s of suffixes) await q(`INSERT INTO ${table(toPrefix, s)} (${lists.get(s)}) SELECT ${lists.get(s)} FROM ${table(fromPrefix, s)}`);
  });
  return suffixes;
}

/**
 * Makes the `<workPrefix>*` tables the live `<livePrefix>*` ones in one atomic RENAME TABLE;
 * live tables without a counterpart go too (the result is exactly the work set). The old live
 * tables are parked under `<oldPrefix>` and dropped afterwards.
 */
export async function swapTables(access: TenantAccess, livePrefix: string, workPrefix: string, oldPrefix: string): Promise<void> {
  await dropTables(access, oldPrefix);
  const live = await listTables(access, livePrefix);
  const work = await listTables(access, workPrefix);
  const renames = [...live.map((s) => `${table(livePrefix, s)} TO ${table(oldPrefix, s)}`), ...work.map((s) => `${table(workPrefix, s)} TO ${table(livePrefix, s)}`)];
  if (renames.length > 0) await access.query(`RENAME TABLE ${renames.join(', ')}`);
  await dropTables(access, oldPrefix);
}

/**
 * WordPress writes its table prefix into data: the `<prefix>user_roles` option and per-site user
 * meta (`<prefix>capabilities`, `<prefix>user_level`, `<prefix>user-settings`…). Without the
 * rename, every user of the copy has no role and nobody can log in to wp-admin.
 */
export async function renamePrefixKeys(access: TenantAccess, tablesPrefix: string, oldKeyPrefix: string, newKeyPrefix: string): Promise<void> {
  const present = new Set(await listTables(access, tablesPrefix));
  for (const [suffix, key] of [['options', 'option_name'], ['usermeta', 'meta_key']] as const) {
    if (!present.has(suffix)) continue;
    await access.query(`UPDATE ${table(tablesPrefix, suffix)} SET ${key} = CONCAT(?, SUBSTRING(${key}, ?)) WHERE LEFT(${key}, ?) = BINARY ?`, [
      newKeyPrefix,
      oldKeyPrefix.length + 1,
      oldKeyPrefix.length,
      oldKeyPrefix,
    ]);
  }
}

const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'json']);
const BATCH_ROWS = 500;
const MAX_UPDATE_BYTES = 4 * 1024 * 1024;

export interface RewriteStats {
  rowsChanged: number;
  /** Values that looked serialized but did not parse: left as they were. */
  unparseable: number;
}

/**
 * Rewrites `fromUrl` → `toUrl` (serialized-safe, see serialized.ts) in every text column of every
 * `<prefix>*` table. Reads in primary-key order, 500 rows at a time, only rows that contain the
 * URL (or its JSON-escaped form); writes back only changed rows, one UPDATE … JOIN per batch.
 */
export async function rewriteUrlsInTables(access: TenantAccess, prefix: string, fromUrl: string, toUrl: string): Promise<RewriteStats> {
  const stats: RewriteStats = { rowsChanged: 0, unparseable: 0 };
  const from = fromUrl.replace(/\/+$/, '');
  if (from === '' || from === toUrl.replace(/\/+$/, '')) return stats;
  const needles = [from, from.replace(/\//g, '\\/')];
  for (const suffix of await listTables(access, prefix)) {
    const { columns, primaryKey } = await columnsOf(access, prefix, suffix);
    const texts = columns.filter((c) => TEXT_TYPES.has(c.type) && !c.generated).map((c) => c.name);
    if (texts.length === 0) continue;
    const t = table(prefix, suffix);
    if (primaryKey.length === 0) {
      await rewriteByValue(access, t, texts.map(column), needles, from, toUrl, stats);
      continue;
    }
    const keys = primaryKey.map(column);
    const match = texts.flatMap((c) => needles.map(() => `INSTR(${column(c)}, ?) > 0`)).join(' OR ');
    const matchParams = texts.flatMap(() => needles);
    const select = `SELECT ${keys.map((k, i) => `${k} AS k${i}`).join(', ')}, ${texts.map((c, i) => `${column(c)} AS c${i}`).join(', ')} FROM ${t}`;
    let after: SqlValue[] | null = null;
    for (;;) {
      const where: string = after ? `(${keys.join(', ')}) > (${keys.map(() => '?').join(', ')}) AND (${match})` : `(${match})`;
      const rows: Array<Record<string, SqlValue>> = await access.query(`${select} WHERE ${where} ORDER BY ${keys.join(', ')} LIMIT ${BATCH_ROWS}`, [...(after ?? []), ...matchParams]);
      if (rows.length === 0) break;
      after = primaryKey.map((_, i) => rows[rows.length - 1][`k${i}`]);
      const changed: Array<{ keys: SqlValue[]; values: SqlValue[]; which: Set<number> }> = [];
      for (const row of rows) {
        const values = texts.map((_, i) => row[`c${i}`]);
        const which = new Set<number>();
        values.forEach((v, i) => {
          if (typeof v !== 'string') return;
          const r = rewriteValue(v, from, toUrl);
          if (r.unparseable) stats.unparseable++;
          if (r.changed) {
            values[i] = r.value;
            which.add(i);
          }
        });
        if (which.size > 0) changed.push({ keys: primaryKey.map((_, i) => row[`k${i}`]), values, which });
      }
      stats.rowsChanged += changed.length;
      await writeBack(access, t, keys, texts.map(column), changed);
      if (rows.length < BATCH_ROWS) break;
    }
  }
  return stats;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * For tables without a primary key (some plugins create them): each distinct value (compared as
 * bytes, so case or trailing-space variants stay distinct) is rewritten once and every row
 * holding exactly those bytes gets the result — rows with equal values need equal results.
 */
async function rewriteByValue(access: TenantAccess, t: string, cols: string[], needles: string[], from: string, toUrl: string, stats: RewriteStats): Promise<void> {
  for (const c of cols) {
    const values = await access.query<{ v: Buffer }>(`SELECT DISTINCT CAST(${c} AS BINARY) AS v FROM ${t} WHERE ${needles.map(() => `INSTR(${c}, ?) > 0`).join(' OR ')}`, needles);
    for (const { v } of values) {
      let text: string;
      try {
        text = utf8.decode(v);
      } catch {
        continue; // not UTF-8 (another column charset): leave it rather than guess
      }
      const r = rewriteValue(text, from, toUrl);
      if (r.unparseable) stats.unparseable++;
      if (!r.changed) continue;
      await access.query(`UPDATE ${t} SET ${c} = ? WHERE CAST(${c} AS BINARY) = ?`, [r.value, v]);
      stats.rowsChanged++; // counts distinct values here: the port does not report affected rows
    }
  }
}

/** One `UPDATE t JOIN (SELECT … UNION ALL SELECT …) n` per ~4 MB: rows keyed by primary key, only columns that changed somewhere. */
async function writeBack(access: TenantAccess, t: string, keys: string[], cols: string[], rows: Array<{ keys: SqlValue[]; values: SqlValue[]; which: Set<number> }>): Promise<void> {
  let i = 0;
  while (i < rows.length) {
    const chunk = [];
    let bytes = 0;
    while (i < rows.length && (chunk.length === 0 || bytes < MAX_UPDATE_BYTES)) {
      const r = rows[i++];
      bytes += r.values.reduce<number>((n, v) => n + (typeof v === 'string' ? v.length * 3 : 16), 0);
      chunk.push(r);
    }
    const used = [...new Set(chunk.flatMap((r) => [...r.which]))].sort((a, b) => a - b);
    const selects = chunk.map((_, n) => `SELECT ${[...keys.map((_, k) => `?${n === 0 ? ` AS k${k}` : ''}`), ...used.map((c) => `?${n === 0 ? ` AS c${c}` : ''}`)].join(', ')}`);
    const params = chunk.flatMap((r) => [...r.keys, ...used.map((c) => r.values[c])]);
    const on = keys.map((k, n) => `t.${k} = n.k${n}`).join(' AND ');
    const set = used.map((c) => `t.${cols[c]} = n.c${c}`).join(', ');
    await access.query(`UPDATE ${t} AS t JOIN (${selects.join(' UNION ALL ')}) AS n ON ${on} SET ${set}`, params);
  }
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/**
 * Makes `target` (in wp-content) an exact copy of `source` (or an empty directory when `source`
 * does not exist): copied to `<target>.bbws-new` (modes, times, symlinks kept), swapped in by
 * rename, handed to the tenant. A crash between the two renames is repaired on the next run.
 *
 * wp-content is the tenant's, so every change there is made as the tenant
 * ({@link TenantAccess.asTenant}): a symlink planted at `<target>.bbws-new` or in place of a parent
 * directory can only lead where the tenant could write anyway. A `source` that is the platform's
 * (a backup) reaches the tenant through a staging dir ({@link TenantAccess.copyPlatformTree}).
 */
export async function replaceDirectory(access: TenantAccess, source: { path: string; owner: 'tenant' | 'platform'; /** the platform's source may be moved, not copied */ consume?: boolean }, target: string): Promise<void> {
  const fresh = `${target}.bbws-new`;
  const old = `${target}.bbws-old`;
  const asTenant = (command: string, args: string[]) => access.asTenant(command, args, { timeoutMs: 3_600_000 });
  if (!(await exists(target)) && (await exists(old))) await asTenant('mv', ['-T', '--', old, target]);
  await asTenant('rm', ['-rf', '--', fresh, old]);
  await asTenant('mkdir', ['-p', '--', dirname(target)]);
  if (!(await exists(source.path))) await asTenant('mkdir', ['--', fresh]);
  else if (source.owner === 'tenant') await asTenant('cp', ['-a', '--no-preserve=ownership', '--reflink=auto', '--', source.path, fresh]);
  else if (source.consume) await access.movePlatformTree(source.path, fresh);
  else await access.copyPlatformTree(source.path, fresh);
  await access.chownToTenant(fresh);
  if (await exists(target)) await asTenant('mv', ['-T', '--', target, old]);
  await asTenant('mv', ['-T', '--', fresh, target]);
  await asTenant('rm', ['-rf', '--', old]);
}

function assertSameTenant(access: TenantAccess, ...sites: SiteRef[]): void {
  for (const s of sites) if (s.tenantId !== access.tenantId) throw new Error(`site ${s.siteId} belongs to ${s.tenantId}, not ${access.tenantId}`);
}

/**
 * Copies `from`'s tables and uploads to `to`, with `urls.fromUrl` rewritten to `urls.toUrl`
 * everywhere (serialized values included) and the prefix-bearing keys renamed. Idempotent: work
 * tables or a live copy left by an earlier (half-)run are replaced. `to`'s tables appear in one
 * atomic rename at the very end, so an installed-looking target is always a complete copy.
 */
export async function cloneSiteData(access: TenantAccess, from: SiteRef, to: SiteRef, urls: { fromUrl: string; toUrl: string }): Promise<RewriteStats> {
  assertSameTenant(access, from, to);
  if (from.siteId === to.siteId) throw new Error('cannot clone a site onto itself');
  const source = prefixOf('s', from.siteId);
  const work = prefixOf('w', to.siteId);
  await dropTables(access, work);
  await copyTables(access, source, work);
  await renamePrefixKeys(access, work, source, prefixOf('s', to.siteId));
  const stats = await rewriteUrlsInTables(access, work, urls.fromUrl, urls.toUrl);
  await replaceDirectory(access, { path: access.uploadsDir(from.siteId), owner: 'tenant' }, access.uploadsDir(to.siteId));
  await swapTables(access, prefixOf('s', to.siteId), work, prefixOf('o', to.siteId));
  return stats;
}

/** Drops every table of the site (live, work, swapped-out; not its backups): the undo of a clone. Idempotent. */
export async function dropSiteTables(access: TenantAccess, siteId: string): Promise<void> {
  for (const kind of ['w', 'o', 's'] as const) await dropTables(access, prefixOf(kind, siteId));
}
