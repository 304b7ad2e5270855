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
  /**
   * Runs a program (cp, mv, rm, mkdir) as the tenant's Unix user. wp-content is the tenant's: it
   * can swap any directory there for a symlink at any moment, so changes there are made this way,
   * and a planted symlink can only lead where the tenant could write anyway.
   */
  asTenant(command: string, args: string[], options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Copies a tree only root can read (a backup) to `dest` inside wp-content: root copies it into a
   * staging dir in the root-owned tenant dir that the tenant's group can read, and the tenant
   * copies it from there. `dest` must not exist.
   */
  copyPlatformTree(source: string, dest: string): Promise<void>;
  /**
   * Like {@link copyPlatformTree} for a tree the platform no longer needs (a restored backup):
   * moved, not copied (a rename on the same file system). Root moves it into a staging dir in the
   * root-owned tenant dir and makes every file the tenant's there, where the tenant cannot reach;
   * only then is the staging dir handed over and the tenant moves the tree to `dest` itself, so
   * a planted symlink can only lead where the tenant could write anyway. `dest` must not exist.
   */
  movePlatformTree(source: string, dest: string): Promise<void>;
  /**
   * Copies a tree inside wp-content to `dest` in a root-owned place (a backup): the tenant copies
   * it (so a symlinked parent cannot make root read another tenant's files) into a staging dir,
   * which root then moves to `dest` and makes its own. `dest` must not exist.
   */
  copyTenantTree(source: string, dest: string): Promise<void>;
}
