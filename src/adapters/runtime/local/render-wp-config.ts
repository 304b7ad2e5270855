/**
 * Pure renderers of a tenant's `wp-config.php` and of the pool's `auto_prepend_file`.
 * The rendered config is linted with `php -l` before it replaces the live one (seed 003's
 * 2025-12-24 incident: a corrupted wp-config.php took two PROD tenants down).
 */
import { phpString, safePath, safeSecretToken } from './escape.js';

export const SALT_KEYS = ['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as const;
export type Salts = Record<(typeof SALT_KEYS)[number], string>;

export interface WpConfigInput {
  dbName: string;
  dbUser: string;
  dbPassword: string;
  /** `host:port` */
  dbHost: string;
  contentDir: string;
  salts: Salts;
  /**
   * The tenant's sites map (adapters/wordpress/local/sites-map.ts): host name → site id and home.
   * Absent: no sites, every host is the tenant's default install.
   */
  sitesFile?: string;
}

/**
 * Picks the site by HTTP_HOST (port stripped, as the edge adds it). `BBWS_SITE_ID` can only be
 * defined by the platform's own php-cli runs (create-tenant-access.ts), never by a request.
 * opcache_invalidate (not forced) re-checks the map's mtime on every request: with Debian's
 * revalidate_freq of 2 s a just-routed site would otherwise get the old map (the writer keeps
 * the mtime strictly increasing, see writeSitesMap).
 */
function renderSitePicker(sitesFile: string): string {
  return `
$bbws_sites_file = ${phpString(safePath(sitesFile))};
if (function_exists('opcache_invalidate')) {
  @opcache_invalidate($bbws_sites_file);
}
$bbws_sites = is_readable($bbws_sites_file) ? (include $bbws_sites_file) : array();
if (!is_array($bbws_sites)) {
  $bbws_sites = array();
}
$bbws_host = strtolower(preg_replace('/:[0-9]+$/', '', isset($_SERVER['HTTP_HOST']) ? (string) $_SERVER['HTTP_HOST'] : ''));
if (defined('BBWS_SITE_ID')) {
  $bbws_site = array('id' => BBWS_SITE_ID, 'home' => BBWS_SITE_HOME);
} else {
  $bbws_site = isset($bbws_sites[$bbws_host]) ? $bbws_sites[$bbws_host] : null;
}
if (is_array($bbws_site) && preg_match('/^[a-z0-9]{10}$/', $bbws_site['id'])) {
  $table_prefix = 's' . $bbws_site['id'] . '_';
  define('BBWS_CURRENT_SITE', $bbws_site['id']);
  define('UPLOADS', 'wp-content/uploads/sites/' . $bbws_site['id']);
  define('WP_HOME', $bbws_site['home']);
  define('WP_SITEURL', $bbws_site['home']);
}
unset($bbws_host, $bbws_site, $bbws_sites_file);
`;
}

export function renderWpConfig(input: WpConfigInput): string {
  const salts = SALT_KEYS.map((k) => `define('${k}', ${phpString(safeSecretToken(input.salts[k]))});`).join('\n');
  return `<?php
/* Rendered by bbws (render-wp-config.ts). Do not edit: re-rendered on provisioning. */
define('DB_NAME', ${phpString(input.dbName)});
define('DB_USER', ${phpString(input.dbUser)});
define('DB_PASSWORD', ${phpString(input.dbPassword)});
define('DB_HOST', ${phpString(input.dbHost)});
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = 'wp_';
${input.sitesFile ? renderSitePicker(input.sitesFile) : ''}
${salts}

/* The content directory is the tenant's own (the "EFS access point"); core is shared read-only. */
define('WP_CONTENT_DIR', ${phpString(safePath(input.contentDir))});
define('FS_METHOD', 'direct');
define('WP_AUTO_UPDATE_CORE', false);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISALLOW_FILE_EDIT', true);
/* WP-Cron runs from the platform (WordPress.runCron), not on visitors' requests. */
define('DISABLE_WP_CRON', true);

if (isset($_SERVER['HTTP_X_FORWARDED_PROTO']) && $_SERVER['HTTP_X_FORWARDED_PROTO'] === 'https') {
  $_SERVER['HTTPS'] = 'on';
}

if (!defined('ABSPATH')) {
  define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
`;
}

/**
 * Loaded by php-fpm before every script of the pool. PHP resolves symlinks, so
 * `/…/www/index.php` runs as `/usr/share/wordpress/index.php`, and wp-load.php would set ABSPATH
 * to /usr/share/wordpress/ and load Debian's wp-config.php (which reads /etc/wordpress/config-<host>.php).
 * Defining ABSPATH first makes it load the tenant's wp-config.php from its docroot.
 */
export function renderPrepend(docroot: string): string {
  return `<?php
/* Rendered by bbws (render-wp-config.ts). */
if (!defined('ABSPATH')) {
  define('ABSPATH', ${phpString(safePath(docroot) + '/')});
}
`;
}
