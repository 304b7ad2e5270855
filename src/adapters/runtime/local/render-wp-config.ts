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

${salts}

/* The content directory is the tenant's own (the "EFS access point"); core is shared read-only. */
define('WP_CONTENT_DIR', ${phpString(safePath(input.contentDir))});
define('FS_METHOD', 'direct');
define('WP_AUTO_UPDATE_CORE', false);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISALLOW_FILE_EDIT', true);

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
