/**
 * The `WordPress` port on the local runtime. A site lives inside its tenant's instance: its own
 * host names (edge routes + the tenant's sites map, which wp-config.php reads), its own tables
 * (`s<siteId>_`) in the tenant's database and its own uploads (`uploads/sites/<siteId>`).
 * Everything inside WordPress is done by PHP against Debian's core as the tenant's Unix user
 * (php-scripts.ts; no wp-cli), everything in the database through the tenant's own user
 * (create-tenant-access.ts). Copies (clone, promote, backup, restore) are clone.ts & co.
 *
 * Per tenant, changes to the sites map and to plugin directories are serialised in-process.
 */
import { lstat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlatformConfig } from '../../../domain/config.js';
import { BbwsError, errorMessage } from '../../../domain/errors.js';
import { names } from '../../../domain/naming.js';
import { tablePrefix } from '../../../domain/site.js';
import type { Logger } from '../../../ports/logger.js';
import type { Secrets } from '../../../ports/secrets.js';
import type { PackageFile } from '../../../domain/plugin-policy.js';
import type { InstallSiteInput, PromoteScope, SiteRef, TemplateBlueprint, WordPress } from '../../../ports/wordpress.js';
import { safeTenantId } from '../../runtime/local/escape.js';
import type { WordPressHost } from '../../runtime/local/local-runtime.js';
import { ExecError } from '../../runtime/local/exec.js';
import { WORDPRESS_CORE } from '../../runtime/local/tenant-files.js';
import { backupSiteData, deleteSiteBackup, restoreSiteData } from './backup.js';
import { cloneSiteData, dropSiteTables } from './clone.js';
import { createTenantAccess, type LocalTenantAccess } from './create-tenant-access.js';
import * as php from './php-scripts.js';
import { checkPluginSlug, createPluginFiles } from './plugin-files.js';
import { writeBlocklist } from './blocklist.js';
import { issueInstallToken } from './install-token.js';
import { promoteSiteData } from './promote.js';
import { checkSite, createSiteRoutes } from './site-routes.js';
import { siteHomeUrl } from './sites-map.js';
import { keyedSerialLanes } from '../../serial-lane.js';

export interface LocalWordPressOptions {
  runtime: WordPressHost;
  secrets: Secrets;
  config: PlatformConfig;
  logger: Logger;
  /** Time spent per call, for the WordPressAPILatency metric. */
  /** `timeout`: a PHP run killed at its deadline (ExecError with SIGKILL), for the timeout-rate alarm. */
  onLatency?: (ms: number, method: keyof WordPress, outcome: 'ok' | 'error' | 'timeout') => void;
}

export interface LocalWordPress extends WordPress {
  /** Closes the per-tenant database pools. */
  close(): Promise<void>;
}

const THEME_SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The strings of a PHP-serialized array of strings (active_plugins). Plugin paths never contain `"`. */
export function parseSerializedStrings(value: string): string[] {
  return [...value.matchAll(/s:\d+:"([^"]*)";/g)].map((m) => m[1]!);
}

function failed(what: string, e: unknown): never {
  const message = errorMessage(e);
  // The guard mu-plugin's wp_die: the plugin is on the platform's blocklist.
  if (/is blocked by the platform/.test(message)) throw new BbwsError('PLUGIN_SECURITY_VIOLATION', message);
  throw new BbwsError('RUNTIME_FAILURE', message.startsWith(what) ? message : `${what}: ${message}`);
}

export function createLocalWordPress(options: LocalWordPressOptions): LocalWordPress {
  const { runtime, secrets, config, logger: rootLogger } = options;
  const logger = rootLogger.child({ component: 'wordpress-local' });
  const edgePort = config.edgePort;
  const accesses = new Map<string, { credentials: string; access: Promise<LocalTenantAccess> }>();
  const lanes = keyedSerialLanes();

  /**
   * One cached access (a small connection pool) per tenant, replaced when the tenant's database
   * credentials change (a tenant deprovisioned and provisioned again gets a new password).
   */
  const accessOf = async (tenantId: string): Promise<LocalTenantAccess> => {
    const credentials = (await secrets.get(names.dbCredentialsSecret(config.env, safeTenantId(tenantId)))) ?? '';
    const cached = accesses.get(tenantId);
    if (cached && cached.credentials === credentials) return cached.access;
    if (cached) void cached.access.then((a) => a.close()).catch(() => undefined);
    const access = createTenantAccess(runtime, secrets, tenantId);
    access.catch(() => accesses.delete(tenantId));
    accesses.set(tenantId, { credentials, access });
    return access;
  };

  /** One change at a time per tenant (sites map, plugin directories). */
  const serialised = <T>(tenantId: string, fn: () => Promise<T>): Promise<T> => lanes.run(tenantId, fn);

  const runPhp = async <T>(site: SiteRef, what: string, script: string, input: unknown, loadWordPress: boolean, timeoutMs?: number): Promise<T> => {
    const access = await accessOf(site.tenantId);
    let stdout: string;
    try {
      stdout = await access.php(site, script, input, { loadWordPress, timeoutMs });
    } catch (e) {
      failed(what, e);
    }
    let result: T;
    try {
      result = php.parsePhpResult<T>(stdout, what);
    } catch (e) {
      failed(what, e);
    }
    const err = (result as { error?: unknown } | null)?.error;
    if (typeof err === 'string') failed(what, new Error(err));
    return result;
  };

  // ---- sites map and routes (site-routes.ts) ---------------------------------------------
  const { readSites, routeSite, unrouteSite } = createSiteRoutes({ runtime, logger, edgePort, serialised });

  // ---- tables ------------------------------------------------------------------------------
  const hasOptionsTable = async (access: LocalTenantAccess, siteId: string): Promise<boolean> => {
    const rows = await access.query("SELECT 1 AS x FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", [`${tablePrefix(siteId)}options`]);
    return rows.length > 0;
  };

  const isInstalled = async (input: SiteRef): Promise<boolean> => {
    const site = checkSite(input);
    const access = await accessOf(site.tenantId);
    if (!(await hasOptionsTable(access, site.siteId))) return false;
    // Same test as is_blog_installed(): a siteurl row exists.
    const rows = await access.query(`SELECT option_value FROM \`${tablePrefix(site.siteId)}options\` WHERE option_name = 'siteurl' LIMIT 1`);
    return rows.length > 0;
  };

  const installSite = async (input: SiteRef, data: InstallSiteInput): Promise<void> => {
    const site = checkSite(input);
    const started = Date.now();
    const r = await runPhp<{ installed: boolean }>(site, 'install site', php.INSTALL_SITE, { title: data.title, user: data.adminUser, email: data.adminEmail, password: data.adminPassword }, false);
    logger.info({ tenantId: site.tenantId, siteId: site.siteId, installed: r.installed, ms: Date.now() - started }, r.installed ? 'site installed' : 'site was already installed');
  };

  const removeSite = async (input: SiteRef): Promise<void> => {
    const site = checkSite(input);
    // Every host of the site, also those the caller no longer knows about.
    const mapped = (await readSites(site.tenantId)).find((s) => s.siteId === site.siteId)?.hostnames ?? [];
    await unrouteSite({ ...site, hostnames: [...new Set([...site.hostnames, ...mapped])] });
    // A hard-deprovisioned tenant took its database with it: nothing more to remove.
    if (!(await secrets.get(names.dbCredentialsSecret(config.env, site.tenantId)))) return;
    const access = await accessOf(site.tenantId);
    await dropSiteTables(access, site.siteId);
    await removeAsTenant(site.tenantId, access.uploadsDir(site.siteId));
    logger.info({ tenantId: site.tenantId, siteId: site.siteId }, 'site removed');
  };

  // ---- options and templates -----------------------------------------------------------
  const getOptions = async (input: SiteRef, names: string[]) => {
    const site = checkSite(input);
    if (names.length === 0) return {};
    return runPhp<Record<string, unknown>>(site, 'get options', php.GET_OPTIONS, { names }, true);
  };

  const setOptions = async (input: SiteRef, opts: Record<string, string | number | boolean>) => {
    const site = checkSite(input);
    if (Object.keys(opts).length === 0) return;
    await runPhp(site, 'set options', php.SET_OPTIONS, { options: opts }, true);
  };

  /** Debian's themes are shared read-only, like core: linked into the tenant's themes on demand. */
  const ensureTheme = async (tenantId: string, theme: string) => {
    if (!THEME_SLUG.test(theme)) throw new BbwsError('VALIDATION_FAILED', 'invalid theme', { theme });
    const link = join(runtime.tenantPaths(tenantId).content, 'themes', theme);
    const shared = join(WORDPRESS_CORE, 'wp-content', 'themes', theme);
    if (await lstat(link).then(() => true, () => false)) return;
    if (!(await lstat(shared).then(() => true, () => false))) throw new BbwsError('VALIDATION_FAILED', `theme ${theme} is not installed on this host`, { theme });
    await symlink(shared, link);
  };

  const applyTemplate = async (input: SiteRef, template: TemplateBlueprint) => {
    const site = checkSite(input);
    await ensureTheme(site.tenantId, template.theme);
    await runPhp(site, `apply template ${template.templateId}`, php.APPLY_TEMPLATE, { theme: template.theme, options: template.options, pages: template.pages, menu: template.menu ?? null }, true);
  };

  // ---- plugins --------------------------------------------------------------------------
  const { removeAsTenant, copyPlugin, removePlugin } = createPluginFiles({ runtime, logger });

  const activate = async (site: SiteRef, slug: string) => {
    const r = await runPhp<{ file: string; active: boolean }>(site, `activate plugin ${slug}`, php.ACTIVATE_PLUGIN, { slug }, true);
    if (!r.active) throw new BbwsError('PLUGIN_SECURITY_VIOLATION', `plugin ${slug} was not activated (blocked inside WordPress?)`, { slug, file: r.file });
  };

  const installPlugin = async (input: SiteRef, slug: string, files: readonly PackageFile[]) => {
    const site = checkSite(input);
    checkPluginSlug(slug);
    await serialised(site.tenantId, () => copyPlugin(site.tenantId, slug, files));
    await activate(site, slug);
  };

  const setPluginActive = async (input: SiteRef, slug: string, active: boolean) => {
    const site = checkSite(input);
    checkPluginSlug(slug);
    if (active) return activate(site, slug);
    await runPhp(site, `deactivate plugin ${slug}`, php.DEACTIVATE_PLUGIN, { slug }, true);
  };

  const activeIn = (plugins: string[], slug: string) => plugins.some((p) => p.startsWith(`${slug}/`) || p === `${slug}.php`);

  /** Raw `active_plugins` of every WordPress of the tenant (each `s<id>_options`, and `wp_options`). */
  const activePluginsByTable = async (access: LocalTenantAccess): Promise<Map<string, string[]>> => {
    const tables = await access.query<{ name: string }>(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '%\\_options'",
    );
    const out = new Map<string, string[]>();
    for (const { name } of tables) {
      if (!/^(s[a-z0-9]{10}|wp)_options$/.test(String(name))) continue;
      const rows = await access.query<{ v: string }>(`SELECT option_value AS v FROM \`${String(name)}\` WHERE option_name = 'active_plugins'`);
      out.set(String(name), rows[0] ? parseSerializedStrings(String(rows[0].v)) : []);
    }
    return out;
  };

  const uninstallPlugin = async (input: SiteRef, slug: string) => {
    const site = checkSite(input);
    checkPluginSlug(slug);
    const access = await accessOf(site.tenantId);
    if (await isInstalled(site)) await runPhp(site, `deactivate plugin ${slug}`, php.DEACTIVATE_PLUGIN, { slug }, true);
    await serialised(site.tenantId, async () => {
      const others = [...(await activePluginsByTable(access))].filter(([table, plugins]) => table !== `${tablePrefix(site.siteId)}options` && activeIn(plugins, slug));
      if (others.length > 0) {
        logger.info({ tenantId: site.tenantId, siteId: site.siteId, slug, activeIn: others.map(([t]) => t) }, 'plugin deactivated; files kept for other sites');
        return;
      }
      await removePlugin(site.tenantId, slug);
    });
  };

  const listActivePlugins = async (input: SiteRef): Promise<string[]> => {
    const site = checkSite(input);
    const access = await accessOf(site.tenantId);
    if (!(await hasOptionsTable(access, site.siteId))) return [];
    const rows = await access.query<{ v: string }>(`SELECT option_value AS v FROM \`${tablePrefix(site.siteId)}options\` WHERE option_name = 'active_plugins'`);
    const files = rows[0] ? parseSerializedStrings(String(rows[0].v)) : [];
    return [...new Set(files.map((f) => (f.includes('/') ? f.slice(0, f.indexOf('/')) : f.replace(/\.php$/, ''))))].sort();
  };

  // ---- copies (clone.ts, backup.ts, promote.ts) --------------------------------------------
  const urlsOf = (from: SiteRef, to: SiteRef) => ({ fromUrl: siteHomeUrl(from.hostnames[0]!, edgePort), toUrl: siteHomeUrl(to.hostnames[0]!, edgePort) });

  const sameTenant = (from: SiteRef, to: SiteRef) => {
    if (from.tenantId !== to.tenantId) throw new BbwsError('VALIDATION_FAILED', 'sites of different tenants', { from: from.tenantId, to: to.tenantId });
  };

  const cloneSite = async (fromInput: SiteRef, toInput: SiteRef) => {
    const from = checkSite(fromInput);
    const to = checkSite(toInput);
    sameTenant(from, to);
    await cloneSiteData(await accessOf(from.tenantId), from, to, urlsOf(from, to));
    await routeSite(to);
  };

  const promoteSite = async (fromInput: SiteRef, toInput: SiteRef, scope: PromoteScope[]) => {
    const from = checkSite(fromInput);
    const to = checkSite(toInput);
    sameTenant(from, to);
    await promoteSiteData(await accessOf(from.tenantId), from, to, scope, urlsOf(from, to));
    await routeSite(to);
  };

  const backupSite = async (input: SiteRef, options?: { keep?: string | null }) => {
    const site = checkSite(input);
    return backupSiteData(await accessOf(site.tenantId), site, options);
  };

  const restoreSite = async (input: SiteRef, backupId: string) => {
    const site = checkSite(input);
    await restoreSiteData(await accessOf(site.tenantId), site, backupId);
    await purgeCache(site);
  };

  const purgeCache = async (input: SiteRef, paths?: string[]) => {
    const site = checkSite(input);
    try {
      return await runtime.edge.cache.purge({ hosts: site.hostnames, paths });
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('not a URL path')) throw new BbwsError('VALIDATION_FAILED', `${e.message}: give a path such as /blog/ or a URL of the site.`, { field: 'url' });
      throw e;
    }
  };

  const deleteBackup = async (input: SiteRef, backupId: string) => {
    const site = checkSite(input);
    await deleteSiteBackup(await accessOf(site.tenantId), site, backupId);
  };

  // ---- cron ----------------------------------------------------------------------------
  const runCron = async (input: SiteRef) => {
    const site = checkSite(input);
    const r = await runPhp<{ ran: number; locked?: boolean }>(site, 'run cron', php.RUN_CRON, null, false, 300_000);
    if (r.ran > 0 || r.locked) logger.debug({ tenantId: site.tenantId, siteId: site.siteId, ...r }, 'cron ran');
  };

  const setUserPassword = async (site: SiteRef, user: string, password: string): Promise<void> => {
    await runPhp(checkSite(site), 'set the user password', php.SET_USER_PASSWORD, { user, password }, true);
  };

  const methods: WordPress = {
    routeSite,
    unrouteSite,
    installSite,
    setUserPassword,
    removeSite,
    isInstalled,
    getOptions,
    setOptions,
    applyTemplate,
    installPlugin,
    setPluginActive,
    uninstallPlugin,
    listActivePlugins,
    cloneSite,
    backupSite,
    restoreSite,
    deleteBackup,
    promoteSite,
    purgeCache,
    runCron,
    enforceBlocklist: (entries) => writeBlocklist(runtime, 'all', entries),
    issueInstallToken: (tenantId) => issueInstallToken(runtime, tenantId),
  };

  // Every call is timed (WordPressAPILatency), failures included.
  const timed = Object.fromEntries(
    (Object.keys(methods) as Array<keyof WordPress>).map((name) => {
      const fn = methods[name] as (...args: unknown[]) => Promise<unknown>;
      return [
        name,
        async (...args: unknown[]) => {
          const started = performance.now();
          let outcome: 'ok' | 'error' | 'timeout' = 'error';
          try {
            const result = await fn(...args);
            outcome = 'ok';
            return result;
          } catch (err) {
            if (err instanceof ExecError && err.signal === 'SIGKILL') outcome = 'timeout';
            throw err;
          } finally {
            options.onLatency?.(performance.now() - started, name, outcome);
          }
        },
      ];
    }),
  ) as unknown as WordPress;

  return {
    ...timed,
    async close() {
      const all = [...accesses.values()];
      accesses.clear();
      for (const a of all) await (await a.access.catch(() => null))?.close();
    },
  };
}
