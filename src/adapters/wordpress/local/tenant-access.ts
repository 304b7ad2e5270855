/**
 * How the local WordPress adapter reaches one tenant's WordPress: SQL in the tenant's own
 * database (as the tenant's database user, so a bug cannot touch another tenant's data), PHP as
 * the tenant's Unix user, and the tenant's directories. The implementation is created from the
 * local runtime (`createTenantAccess`, same folder); clone/promote/backup code depends only on
 * this interface.
 */
import type { SiteRef } from '../../../ports/wordpress.js';

export type SqlValue = string | number | null | Buffer;

export interface TenantAccess {
  readonly tenantId: string;
  /** Parameterised SQL (`?` placeholders) in `<tenant>_db`. Rows as plain objects. */
  query<T = Record<string, unknown>>(sql: string, params?: SqlValue[]): Promise<T[]>;
  /** Several statements in one transaction, rolled back together on failure. */
  transaction<T>(work: (q: <R = Record<string, unknown>>(sql: string, params?: SqlValue[]) => Promise<R[]>) => Promise<T>): Promise<T>;
  /**
   * Runs a PHP script as the tenant's Unix user, with `$_SERVER['HTTP_HOST']` set to the site's
   * primary host and, when `loadWordPress`, WordPress loaded for that site. `input` is passed as
   * JSON on stdin (never interpolated into code); the script's stdout is returned.
   */
  php(site: SiteRef, script: string, input?: unknown, options?: { loadWordPress?: boolean; timeoutMs?: number }): Promise<string>;
  /** The tenant's wp-content directory. */
  readonly contentDir: string;
  /** `wp-content/uploads/sites/<siteId>`. */
  uploadsDir(siteId: string): string;
  /** Where site backups live (outside the web root, tenant-only). */
  readonly backupsDir: string;
  /** Makes files the tenant's (owner and modes) after the platform wrote them as root. */
  chownToTenant(path: string): Promise<void>;
}
