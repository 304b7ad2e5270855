/**
 * Pure renderers of a tenant's `wp-config.php` and of the pool's `auto_prepend_file`.
 * The rendered config is linted with `php -l` before it replaces the live one (seed 003's
 * 2025-12-24 incident: a corrupted wp-config.php took two PROD tenants down).
 */
import { phpString, safePath, safePort, safeSecretToken } from './escape.js';

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
  /** Where the must-use plugins are (root-owned, outside wp-content: the tenant cannot remove the guard). */
  muPluginsDir?: string;
  /**
   * The edge serves HTTPS on this port (domain/tls.ts): a site's home becomes https on HTTPS
   * requests, and FORCE_SSL_ADMIN is set when asked (sit, prod). Absent: HTTP only.
   */
  https?: { port: number; forceSslAdmin: boolean } | null;
  /**
   * A restored backup served on a scratch route (adapters/backup/scratch-serve.ts): every answer
   * carries `X-Bbws-Scratch: <id>` (verify's proof that the copy answered, not the live site), and
   * the default install's home is the scratch host (a site's comes from the sites map).
   */
  scratch?: { id: string; home: string };
}

/*
 * sit and prod: logins and wp-admin over HTTPS. The edge itself sends every plain-HTTP request
 * of a host with a certificate to HTTPS (render-nginx-tls.ts), so PHP sees plain HTTP only for a
 * host whose certificate is not issued yet: there FORCE_SSL_ADMIN would redirect wp-admin to an
 * HTTPS that does not answer (and, off port 443, to the HTTP port), so it is set on HTTPS requests.
 */
const FORCE_SSL_ADMIN = `if (isset($_SERVER['HTTPS']) && $_SERVER['HTTPS'] === 'on') {
  define('FORCE_SSL_ADMIN', true);
}
`;

/**
 * Picks the site by HTTP_HOST (port stripped, as the edge adds it). `BBWS_SITE_ID` can only be
 * defined by the platform's own php-cli runs (create-tenant-access.ts), never by a request.
 * The map is JSON read on every request, not an `include`: an included map is cached by opcache
 * for revalidate_freq (2 s on Debian), so a just-routed site got the old map, and the opcache API
 * that could invalidate it is refused to every tenant script (opcache.restrict_api, render-php-fpm.ts).
 */
function renderSitePicker(sitesFile: string, httpsPort: number | null): string {
  const home = httpsPort === null
    ? ''
    : `  if (isset($_SERVER['HTTP_X_FORWARDED_PROTO']) && $_SERVER['HTTP_X_FORWARDED_PROTO'] === 'https') {
    $bbws_site['home'] = preg_replace('#^http://([^/:]+)(:[0-9]+)?#', ${phpString(`https://$1${httpsPort === 443 ? '' : `:${safePort(httpsPort)}`}`)}, $bbws_site['home']);
  }
`;
  return `
$bbws_sites_file = ${phpString(safePath(sitesFile))};
$bbws_sites = is_readable($bbws_sites_file) ? json_decode((string) file_get_contents($bbws_sites_file), true) : array();
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
${home}  define('WP_HOME', $bbws_site['home']);
  define('WP_SITEURL', $bbws_site['home']);
}
unset($bbws_host, $bbws_site, $bbws_sites_file);
`;
}

function renderScratch(scratch: { id: string; home: string }): string {
  if (!/^[a-z0-9]{12}$/.test(scratch.id) || !/^http:\/\/[a-z0-9.-]+(:[0-9]{1,5})?$/.test(scratch.home)) throw new Error('unsafe scratch copy settings');
  return `header(${phpString(`X-Bbws-Scratch: ${scratch.id}`)});
if (!defined('WP_HOME')) {
  define('WP_HOME', ${phpString(scratch.home)});
  define('WP_SITEURL', ${phpString(scratch.home)});
}
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
${input.sitesFile ? renderSitePicker(input.sitesFile, input.https?.port ?? null) : ''}${input.scratch ? renderScratch(input.scratch) : ''}
${salts}

/* The content directory is the tenant's own (the "EFS access point"); core is shared read-only. */
define('WP_CONTENT_DIR', ${phpString(safePath(input.contentDir))});
${input.muPluginsDir ? `define('WPMU_PLUGIN_DIR', ${phpString(safePath(input.muPluginsDir))});\n` : ''}define('FS_METHOD', 'direct');
/* Code comes from the platform's marketplace only: no plugin/theme upload, update or editor in wp-admin. */
define('DISALLOW_FILE_MODS', true);
define('DISALLOW_FILE_EDIT', true);
define('WP_AUTO_UPDATE_CORE', false);
define('AUTOMATIC_UPDATER_DISABLED', true);
/* What WordPress creates is readable by the edge: inside the tenant's gate "others" are the edge alone. */
define('FS_CHMOD_DIR', 0755);
define('FS_CHMOD_FILE', 0644);
/* WP-Cron runs from the platform (WordPress.runCron), not on visitors' requests. */
define('DISABLE_WP_CRON', true);

if (isset($_SERVER['HTTP_X_FORWARDED_PROTO']) && $_SERVER['HTTP_X_FORWARDED_PROTO'] === 'https') {
  $_SERVER['HTTPS'] = 'on';
}
${input.https?.forceSslAdmin ? FORCE_SSL_ADMIN : ''}
if (!defined('ABSPATH')) {
  define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
`;
}

/** The query parameter of install.php that carries the tenant's one-time install token. */
export const INSTALL_TOKEN_PARAM = 'bbws_install_token';

export interface PrependInput {
  /** The tenant's docroot (ABSPATH). */
  docroot: string;
  /** wp-content of the tenant: PHP under its uploads/ never runs. */
  contentDir: string;
  /** Debian's core (install.php and setup-config.php live there, the docroot links to it). */
  corePath: string;
  /** Hash and expiry of the tenant's one-time install token (install-token.ts), root-owned. */
  installTokenFile: string;
  /** The tenant's own tmp dir: the used token's session is recorded there. */
  tmpDir: string;
  /** Present while the tenant is over its disk quota (disk-quota.ts). */
  overQuotaFlagFile: string;
  /**
   * The real path of the tenant's scratch copies (`<tenant>/verify`, root's): a request whose
   * docroot (nginx's `$realpath_root`, never the client's) is `<that>/<id>/www` runs that copy's
   * wp-config.php (adapters/backup/scratch-serve.ts). Absent: always the tenant's own docroot.
   */
  scratchDocroots?: string;
}

/** ABSPATH of a scratch copy: only a docroot nginx resolved to `<scratchDocroots>/<12 chars>/www`. */
function renderScratchAbspath(dir: string): string {
  return `if (!defined('ABSPATH') && isset($_SERVER['DOCUMENT_ROOT']) && preg_match(${phpString(`#^${safePath(dir).replace(/[.+]/g, '\\$&')}/[a-z0-9]{12}/www$#`)}, (string) $_SERVER['DOCUMENT_ROOT'])) {
  define('ABSPATH', $_SERVER['DOCUMENT_ROOT'] . '/');
}
`;
}

/**
 * Loaded by php-fpm before every script of the pool (never by the platform's php-cli runs).
 *
 * - ABSPATH: PHP resolves symlinks, so `/…/www/index.php` runs as `/usr/share/wordpress/index.php`,
 *   and wp-load.php would set ABSPATH to /usr/share/wordpress/ and load Debian's wp-config.php
 *   (which reads /etc/wordpress/config-<host>.php). Defining ABSPATH first makes it load the
 *   tenant's wp-config.php from its docroot.
 * - umask 022: whatever the platform's own umask is, files WordPress writes (uploads, image
 *   sizes) are readable by the edge; other tenants never pass the tenant's directory (its gate).
 * - A script whose real path is under wp-content/uploads is refused (the edge refuses it too):
 *   an uploaded file never runs as PHP.
 * - The installer (install.php, setup-config.php) answers only to the holder of the tenant's
 *   one-time install link: the token is exchanged once for an install session cookie, then the
 *   browser is sent to the clean URL. Everyone else gets 403. `GET /` still answers WordPress's
 *   302 to install.php, which is what the platform's readiness probe checks (seed 003).
 */
export function renderPrepend(input: PrependInput): string {
  const core = safePath(input.corePath);
  const hashFile = phpString(safePath(input.installTokenFile));
  return `<?php
/* Rendered by bbws (render-wp-config.ts). */
umask(022);
${input.scratchDocroots ? renderScratchAbspath(input.scratchDocroots) : ''}if (!defined('ABSPATH')) {
  define('ABSPATH', ${phpString(safePath(input.docroot) + '/')});
}
// The tenant's upload limit (post_max_size, set per pool from its limits): a bigger body is a 413
// with the reason, instead of PHP silently dropping the form and WordPress showing an odd error.
(function () {
  $max = (string) ini_get('post_max_size');
  $bytes = (int) $max * (stripos($max, 'g') !== false ? 1073741824 : (stripos($max, 'm') !== false ? 1048576 : (stripos($max, 'k') !== false ? 1024 : 1)));
  $length = isset($_SERVER['CONTENT_LENGTH']) ? (int) $_SERVER['CONTENT_LENGTH'] : 0;
  if ($bytes > 0 && $length > $bytes) {
    http_response_code(413);
    header('Content-Type: text/plain; charset=utf-8');
    header('Cache-Control: no-store');
    error_log('bbws: request body of ' . $length . ' bytes refused: over the upload limit of ' . $max);
    echo 'Request body too large: this site accepts uploads up to ', $max, 'B (the uploadMaxMb limit of this tenant; docs/limits.md).', "\\n";
    exit;
  }
})();
// Over the tenant's disk quota (the platform's disk-quota pass sets the flag): uploads and bodies
// over 256 KiB are a 507; small requests (logging in, deleting media) still work.
(function () {
  if (!is_file(${phpString(safePath(input.overQuotaFlagFile))})) {
    return;
  }
  $length = isset($_SERVER['CONTENT_LENGTH']) ? (int) $_SERVER['CONTENT_LENGTH'] : 0;
  if (empty($_FILES) && $length <= 262144) {
    return;
  }
  http_response_code(507);
  header('Content-Type: text/plain; charset=utf-8');
  header('Cache-Control: no-store');
  error_log('bbws: request of ' . $length . ' bytes refused: the tenant is over its disk quota');
  echo "Insufficient storage: this site's files are over its tenant's disk quota (the diskQuotaMb limit; docs/limits.md). Delete files, or ask the platform for a larger quota.\\n";
  exit;
})();
(function () {
  $script = isset($_SERVER['SCRIPT_FILENAME']) ? realpath((string) $_SERVER['SCRIPT_FILENAME']) : false;
  if (!is_string($script)) {
    return;
  }
  $deny = function ($message) {
    http_response_code(403);
    header('Content-Type: text/plain; charset=utf-8');
    header('Cache-Control: no-store');
    echo $message, "\n";
    exit;
  };
  $uploads = realpath(${phpString(safePath(input.contentDir) + '/uploads')});
  if (is_string($uploads) && strpos($script, $uploads . '/') === 0) {
    $deny('PHP does not run from uploads.');
  }
  if ($script !== ${phpString(core + '/wp-admin/install.php')} && $script !== ${phpString(core + '/wp-admin/setup-config.php')}) {
    return;
  }
  $ask = 'The installer answers only to the owner of this WordPress: ask the platform for an install link (bbws tenants install-link <tenant>).';
  $raw = @file_get_contents(${hashFile});
  $record = is_string($raw) ? json_decode($raw, true) : null;
  if (!is_array($record) || !isset($record['sha256'], $record['expires']) || !is_string($record['sha256']) || !preg_match('/^[0-9a-f]{64}$/', $record['sha256'])) {
    $deny($ask);
  }
  $session_file = ${phpString(safePath(input.tmpDir) + '/install-session-')} . $record['sha256'];
  $cookie = isset($_COOKIE['bbws_install']) ? (string) $_COOKIE['bbws_install'] : '';
  if ($cookie !== '') {
    $stored = @file_get_contents($session_file);
    if (is_string($stored) && hash_equals($stored, hash('sha256', $cookie))) {
      return;
    }
  }
  $token = isset($_GET['${INSTALL_TOKEN_PARAM}']) ? (string) $_GET['${INSTALL_TOKEN_PARAM}'] : '';
  if ($token === '' || !hash_equals($record['sha256'], hash('sha256', $token))) {
    $deny($ask);
  }
  if (time() > (int) $record['expires']) {
    $deny('This install link has expired: ask the platform for a new one.');
  }
  $h = @fopen($session_file, 'x');
  if ($h === false) {
    $deny('This install link was already used: ask the platform for a new one.');
  }
  $session = bin2hex(random_bytes(32));
  fwrite($h, hash('sha256', $session));
  fclose($h);
  $https = (isset($_SERVER['HTTPS']) && $_SERVER['HTTPS'] === 'on') || (isset($_SERVER['HTTP_X_FORWARDED_PROTO']) && $_SERVER['HTTP_X_FORWARDED_PROTO'] === 'https');
  setcookie('bbws_install', $session, array('path' => '/wp-admin/', 'httponly' => true, 'samesite' => 'Lax', 'secure' => $https));
  header('Cache-Control: no-store');
  header('Referrer-Policy: no-referrer');
  header('Location: /wp-admin/' . basename($script), true, 302);
  exit;
})();
`;
}
