/**
 * WordPress inside a tenant's instance: install and remove sites, change their options, themes
 * and plugins, copy them. Adapter: `adapters/wordpress/local/` (PHP against Debian's core, run as
 * the tenant's Unix user; SQL through the tenant's own database user). Every method is idempotent
 * where the name says so, because site jobs are delivered at least once.
 *
 * What an adapter must guarantee: calls for one tenant may run concurrently (the adapter
 * serialises what must not interleave); a failure leaves the site as it was or in a state the
 * same call, repeated, completes; no secret appears in an error message.
 */
import type { PackageFile } from '../domain/plugin-policy.js';
import type { TemplateBlueprint } from '../domain/template.js';
import type { PluginMarketplace } from './plugin-marketplace.js';

export type { TemplateBlueprint };
export interface SiteRef {
  tenantId: string;
  siteId: string;
  /** First is primary. */
  hostnames: string[];
  /** The site's page cache (absent: unchanged, or the defaults for a new site). */
  cache?: { enabled: boolean; ttlSeconds: number };
}

export interface InstallSiteInput {
  title: string;
  adminUser: string;
  adminEmail: string;
  adminPassword: string;
}

export type PromoteScope = 'database' | 'uploads' | 'themes' | 'plugins';

export interface WordPressTimings {
  /** Milliseconds spent in PHP / SQL for the last call (WordPressAPILatency). */
  lastCallMs: number;
}

export interface WordPress {
  /** Routes the host names to the tenant and writes the site's config. Idempotent. */
  routeSite(site: SiteRef): Promise<void>;
  unrouteSite(site: SiteRef): Promise<void>;
  /** Creates the site's tables as a fresh WordPress install. Idempotent: an installed site is left as it is. */
  installSite(site: SiteRef, input: InstallSiteInput): Promise<void>;
  /** Drops the site's tables and removes its uploads and config. Idempotent. */
  removeSite(site: SiteRef): Promise<void>;
  isInstalled(site: SiteRef): Promise<boolean>;
  getOptions(site: SiteRef, names: string[]): Promise<Record<string, unknown>>;
  setOptions(site: SiteRef, options: Record<string, string | number | boolean>): Promise<void>;
  applyTemplate(site: SiteRef, template: TemplateBlueprint): Promise<void>;
  /**
   * Writes a vetted plugin's files (from {@link PluginMarketplace.prepareInstall}) as the tenant's
   * plugin `slug`, replacing an older copy whole, and activates it on the site. Idempotent.
   */
  installPlugin(site: SiteRef, slug: string, files: readonly PackageFile[]): Promise<void>;
  setPluginActive(site: SiteRef, slug: string, active: boolean): Promise<void>;
  uninstallPlugin(site: SiteRef, slug: string): Promise<void>;
  listActivePlugins(site: SiteRef): Promise<string[]>;
  /** Copies tables and uploads of `from` into `to` (which must not be installed), rewriting URLs. */
  cloneSite(from: SiteRef, to: SiteRef): Promise<void>;
  /**
   * Saves `site`'s tables and files; returns a backup id. With `keep`, the site's other backups
   * (left by a promote that was killed before its backup was recorded) are removed first, all but
   * the one named (the backup the site record still refers to; null: none).
   */
  backupSite(site: SiteRef, options?: { keep?: string | null }): Promise<string>;
  restoreSite(site: SiteRef, backupId: string): Promise<void>;
  deleteBackup(site: SiteRef, backupId: string): Promise<void>;
  /** Copies the scoped parts of `from` over `to`, rewriting URLs (also inside serialized values). */
  promoteSite(from: SiteRef, to: SiteRef, scope: PromoteScope[]): Promise<void>;
  /**
   * Purges the site's cached pages at the edge (all its host names); with `paths`, only those URL
   * paths (a path without a query also purges its query variants). Returns how many were removed.
   */
  purgeCache(site: SiteRef, paths?: string[]): Promise<number>;
  /** Sets the password of the site's user `user` (login name) and ends every session of theirs. */
  setUserPassword(site: SiteRef, user: string, password: string): Promise<void>;
  /** Runs due WP-Cron events of the site (sites have DISABLE_WP_CRON). */
  runCron(site: SiteRef): Promise<void>;
  /**
   * Gives every tenant the platform's plugin blocklist, which the must-use plugin enforces inside
   * WordPress (a blocked plugin copied in by hand cannot be activated).
   */
  enforceBlocklist(entries: Array<{ slug: string; versions: string[] | '*'; reason: string }>): Promise<void>;
  /**
   * A new one-time token for the tenant's own WordPress installer (install.php answers only to
   * its holder); replaces any earlier one. The token is returned once, inside `installPath`
   * (`/wp-admin/install.php?…`, to be opened on the tenant's own host), and stored only hashed.
   */
  issueInstallToken(tenantId: string): Promise<{ installPath: string; expiresAt: string }>;
}
