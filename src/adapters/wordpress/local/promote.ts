/**
 * Promote: copy the scoped parts of one site (staging) over another (production) of the same
 * tenant, with URLs rewritten from the source's to the target's (also inside serialized data).
 *
 * What the target keeps when its database is replaced — its identity, not its content:
 * - `siteurl`, `home`: production stays at its own address (the URL rewrite already maps the
 *   source's address to it; keeping the rows also keeps a deliberately different `home`);
 * - `blog_public`: staging sites are usually "discourage search engines"; promoting that flag
 *   would quietly de-index the live site.
 * `blogname` and `blogdescription` follow the source: a clone starts with production's title, so
 * a different title on staging is an edit the user made there and wants to publish.
 *
 * Scopes:
 * - `database`: every table, atomically swapped in (one RENAME TABLE) after it was fully built.
 * - `uploads`:  the target's uploads directory becomes a copy of the source's.
 * - `themes` / `plugins`: themes and plugins directories are tenant-wide (shared by the tenant's
 *   sites), so no files are copied: the target is switched to the source's theme (`template`,
 *   `stylesheet`, `current_theme`, `theme_mods_<stylesheet>`) or active plugins
 *   (`active_plugins`). With `database` in scope these come with the tables anyway.
 *
 * All-or-nothing: use {@link promoteWithBackup}, which backs the target up first and restores it
 * when any step fails.
 */
import type { PromoteScope, SiteRef } from '../../../ports/wordpress.js';
import { backupSiteData, restoreSiteData } from './backup.js';
import { copyTables, dropTables, listTables, prefixOf, renamePrefixKeys, replaceDirectory, rewriteUrlsInTables, swapTables, table } from './clone.js';
import { replaceInSerialized } from './serialized.js';
import type { TenantAccess } from './tenant-access.js';

const SCOPES: readonly PromoteScope[] = ['database', 'uploads', 'themes', 'plugins'];

/** Options of the target that survive a database promote (see the module comment). */
export const KEPT_TARGET_OPTIONS = ['siteurl', 'home', 'blog_public'] as const;

export interface PromoteOptions {
  /**
   * Called after each step (`database-copied`, `uploads`, `options`, `database-swapped`; with
   * {@link promoteWithBackup} also `backup-tables-copied`); a throw aborts the promote there.
   * Lets callers journal progress and tests inject failures (or stop the process there).
   */
  onStep?: (step: string) => void | Promise<void>;
}

export interface PromoteUrls {
  fromUrl: string;
  toUrl: string;
}

type OptionRow = { option_name: string; option_value: string; autoload: string };

async function readOptions(access: TenantAccess, prefix: string, names: string[]): Promise<OptionRow[]> {
  if (names.length === 0) return [];
  return access.query<OptionRow>(
    `SELECT option_name, option_value, autoload FROM ${table(prefix, 'options')} WHERE option_name IN (${names.map(() => '?').join(', ')})`,
    names,
  );
}

/** Insert-or-update by `option_name` (UNIQUE in WordPress's schema); all rows in one transaction. */
async function writeOptions(access: TenantAccess, prefix: string, rows: OptionRow[]): Promise<void> {
  if (rows.length === 0) return;
  await access.transaction(async (q) => {
    for (const r of rows)
      await q(`INSERT INTO ${table(prefix, 'options')} (option_name, option_value, autoload) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE option_value = VALUES(option_value), autoload = VALUES(autoload)`, [
        r.option_name,
        r.option_value,
        r.autoload,
      ]);
  });
}

/** The option rows that carry "which theme / which plugins" on the source, URLs rewritten for the target. */
async function themeAndPluginOptions(access: TenantAccess, sourcePrefix: string, scope: PromoteScope[], urls: PromoteUrls): Promise<OptionRow[]> {
  const names: string[] = [];
  if (scope.includes('plugins')) names.push('active_plugins');
  if (scope.includes('themes')) {
    const [stylesheet] = await readOptions(access, sourcePrefix, ['stylesheet']);
    names.push('template', 'stylesheet', 'current_theme');
    if (stylesheet) names.push(`theme_mods_${stylesheet.option_value}`);
  }
  const rows = await readOptions(access, sourcePrefix, names);
  return rows.map((r) => ({ ...r, option_value: replaceInSerialized(r.option_value, urls.fromUrl, urls.toUrl) }));
}

function validate(access: TenantAccess, from: SiteRef, to: SiteRef, scope: PromoteScope[]): void {
  for (const s of [from, to]) if (s.tenantId !== access.tenantId) throw new Error(`site ${s.siteId} belongs to ${s.tenantId}, not ${access.tenantId}`);
  if (from.siteId === to.siteId) throw new Error('cannot promote a site onto itself');
  if (scope.length === 0 || !scope.every((s) => SCOPES.includes(s))) throw new Error(`scope must be a non-empty subset of ${SCOPES.join(', ')}`);
}

/**
 * Copies the scoped parts of `from` over `to` (see the module comment). Not atomic across scopes
 * on its own: a failure after the uploads swap leaves the target mixed — use
 * {@link promoteWithBackup} unless the caller restores from its own backup.
 */
export async function promoteSiteData(access: TenantAccess, from: SiteRef, to: SiteRef, scope: PromoteScope[], urls: PromoteUrls, options: PromoteOptions = {}): Promise<void> {
  validate(access, from, to, scope);
  const step = async (name: string) => options.onStep?.(name);
  const source = prefixOf('s', from.siteId);
  const live = prefixOf('s', to.siteId);
  const work = prefixOf('w', to.siteId);
  if (!(await listTables(access, live)).includes('options')) throw new Error(`site ${to.siteId} is not installed: nothing to promote over`);
  if (!(await listTables(access, source)).includes('options')) throw new Error(`site ${from.siteId} is not installed: nothing to promote`);
  // Scratch tables a promote killed before its swap (or its cleanup) left: half-built `w<target>_`,
  // swapped-out `o<target>_`. Whatever the scope, this promote removes them first.
  await dropTables(access, work);
  await dropTables(access, prefixOf('o', to.siteId));

  if (scope.includes('database')) {
    // Built completely beside the live tables; production keeps serving until the swap.
    const kept = await readOptions(access, live, [...KEPT_TARGET_OPTIONS]);
    await copyTables(access, source, work);
    await renamePrefixKeys(access, work, source, live);
    await rewriteUrlsInTables(access, work, urls.fromUrl, urls.toUrl);
    await writeOptions(access, work, kept);
    await step('database-copied');
  }
  if (scope.includes('uploads')) {
    await replaceDirectory(access, { path: access.uploadsDir(from.siteId), owner: 'tenant' }, access.uploadsDir(to.siteId));
    await step('uploads');
  }
  if (!scope.includes('database') && (scope.includes('themes') || scope.includes('plugins'))) {
    await writeOptions(access, live, await themeAndPluginOptions(access, source, scope, urls));
    await step('options');
  }
  if (scope.includes('database')) {
    await swapTables(access, live, work, prefixOf('o', to.siteId));
    await step('database-swapped');
  }
}

/**
 * Backs `to` up, promotes, and on any failure restores `to` from that backup before rethrowing:
 * the target ends as it was, or fully promoted. Returns the backup id — keep it, it is the undo
 * (`restoreSiteData(access, to, backupId)`), and delete it with `deleteSiteBackup` when no longer wanted.
 */
export async function promoteWithBackup(access: TenantAccess, from: SiteRef, to: SiteRef, scope: PromoteScope[], urls: PromoteUrls, options: PromoteOptions = {}): Promise<string> {
  validate(access, from, to, scope);
  const backupId = await backupSiteData(access, to, { onStep: options.onStep });
  try {
    await promoteSiteData(access, from, to, scope, urls, options);
    return backupId;
  } catch (e) {
    try {
      await restoreSiteData(access, to, backupId);
      await dropTables(access, prefixOf('w', to.siteId));
    } catch (restoreError) {
      // Both failed: say so loudly, with the backup id an operator needs to retry the restore.
      throw new AggregateError([e, restoreError], `promote of ${from.siteId} over ${to.siteId} failed and the restore from backup ${backupId} failed too`);
    }
    throw e;
  }
}
