/**
 * The must-use plugin every tenant gets (`tenants/<t>/mu-plugins/bbws-guard.php`, root-owned,
 * outside wp-content: `WPMU_PLUGIN_DIR`). Pure renderer, checked against
 * test/fixtures/local-runtime/bbws-guard.php.
 *
 * (0) Only the marketplace's code runs. A plugin is loaded or activated only when the tenant's
 *     manifest (`tenants/<t>/plugin-manifest.json`, written by the installer, plugin-manifest.ts;
 *     root-owned) lists its main file and that file's sha256 matches; a theme only when it is
 *     one of Debian's (its real path is in Debian's themes directory), otherwise the site falls
 *     back to the default theme. The file system already keeps the tenant out of plugins/ and
 *     themes/ (root's, tenant-files.ts): this is the second line. Activation is refused *before*
 *     core includes the file: validate_plugin_requirements() reads the plugin's headers, and the
 *     guard's `extra_plugin_headers` filter finds the plugin being activated in the call stack.
 *
 * (a) The platform's plugin blocklist, enforced inside WordPress too (seed 001: a vetted
 *     marketplace is not enough when a plugin reaches the disk another way): a blocked plugin is
 *     stripped from `active_plugins` when it is written (`pre_update_option_active_plugins`) and
 *     when it is read (`option_active_plugins`, so it is never loaded even if someone wrote the
 *     row by SQL), and an activation attempt ends in wp_die (`activate_plugin`). Note that core's
 *     activate_plugin() includes the plugin file once before that action fires; the plugin is
 *     never activated or loaded afterwards. The list is a JSON file the platform writes
 *     (`[{ "slug", "versions": [..] | "*", "reason" }]`, see blocklist.ts).
 * (c) Failed logins (wp-login.php, XML-RPC, REST application passwords) are told to the edge in
 *     a response header, which nginx logs and never sends on (render-nginx-login.ts).
 * (b) Loopback: site URLs are `http://<host>:<edgePort>` and `*.localhost` or a custom domain may
 *     not resolve on this host, so curl is told to reach the tenant's own host names at 127.0.0.1
 *     (CURLOPT_RESOLVE) — the edge routes them by Host as usual.
 */
import { phpString, safeName, safePath } from '../../runtime/local/escape.js';
import { renderLoginFailureHooks } from '../../runtime/local/render-nginx-login.js';

export const GUARD_PLUGIN_FILE = 'bbws-guard.php';

export interface GuardPluginInput {
  /** The tenant's blocklist JSON file (absolute). */
  blocklistFile: string;
  /** The tenant's plugin manifest JSON file (absolute). */
  manifestFile: string;
  /** Debian's themes (`/usr/share/wordpress/wp-content/themes`). */
  coreThemesDir: string;
  /** What a site whose theme is refused falls back to (one of Debian's). */
  defaultTheme: string;
}

export function renderGuardPlugin(input: GuardPluginInput): string {
  return `<?php
/**
 * Plugin Name: BBWS guard
 * Description: Marketplace-only code, platform plugin blocklist and loopback resolution. Managed by the platform.
 * Rendered by bbws (adapters/wordpress/local/render-guard-plugin.ts). Do not edit.
 */
if (!defined('ABSPATH')) {
  exit;
}

function bbws_guard_blocklist() {
  static $list = null;
  if ($list === null) {
    $raw = @file_get_contents(${phpString(safePath(input.blocklistFile))});
    $list = is_string($raw) ? json_decode($raw, true) : array();
    if (!is_array($list)) {
      $list = array();
    }
  }
  return $list;
}

/** The reason \`$plugin\` ('slug/file.php' or 'file.php') is blocked, or false. */
function bbws_guard_blocked_reason($plugin) {
  $plugin = (string) $plugin;
  $slash = strpos($plugin, '/');
  $slug = $slash === false ? preg_replace('/\\.php$/', '', $plugin) : substr($plugin, 0, $slash);
  foreach (bbws_guard_blocklist() as $entry) {
    if (!is_array($entry) || !isset($entry['slug']) || $entry['slug'] !== $slug) {
      continue;
    }
    $reason = isset($entry['reason']) ? (string) $entry['reason'] : 'blocked by the platform';
    $versions = isset($entry['versions']) ? $entry['versions'] : '*';
    if ($versions === '*') {
      return $reason;
    }
    $file = WP_PLUGIN_DIR . '/' . $plugin;
    if (!is_array($versions) || !is_file($file)) {
      continue;
    }
    if (!function_exists('get_file_data')) {
      continue;
    }
    $data = get_file_data($file, array('Version' => 'Version'));
    if (in_array((string) $data['Version'], $versions, true)) {
      return $reason;
    }
  }
  return false;
}

function bbws_guard_manifest() {
  static $plugins = null;
  if ($plugins === null) {
    $raw = @file_get_contents(${phpString(safePath(input.manifestFile))});
    $m = is_string($raw) ? json_decode($raw, true) : null;
    $plugins = is_array($m) && isset($m['plugins']) && is_array($m['plugins']) ? $m['plugins'] : array();
  }
  return $plugins;
}

/** Why \`$plugin\` ('slug/file.php') may not run, or false. */
function bbws_guard_refusal($plugin) {
  static $hashes = array();
  $plugin = (string) $plugin;
  $blocked = bbws_guard_blocked_reason($plugin);
  if ($blocked !== false) {
    return $blocked;
  }
  $slash = strpos($plugin, '/');
  $manifest = bbws_guard_manifest();
  $slug = $slash === false ? '' : substr($plugin, 0, $slash);
  if ($slug === '' || !isset($manifest[$slug]['files'][$plugin]) || !is_string($manifest[$slug]['files'][$plugin])) {
    return 'it was not installed from the platform marketplace';
  }
  if (!array_key_exists($plugin, $hashes)) {
    $hashes[$plugin] = @hash_file('sha256', WP_PLUGIN_DIR . '/' . $plugin);
  }
  if (!is_string($hashes[$plugin]) || !hash_equals($manifest[$slug]['files'][$plugin], $hashes[$plugin])) {
    return 'it changed since the marketplace installed it';
  }
  return false;
}

function bbws_guard_refuse_activation($plugin) {
  $reason = bbws_guard_refusal($plugin);
  if ($reason !== false) {
    wp_die(esc_html(sprintf('The plugin %s is blocked by the platform: %s', $plugin, $reason)), 'Plugin blocked', array('response' => 403));
  }
}

function bbws_guard_strip_blocked($plugins) {
  if (!is_array($plugins)) {
    return $plugins;
  }
  return array_values(array_filter($plugins, function ($p) {
    return bbws_guard_refusal($p) === false;
  }));
}

add_filter('pre_update_option_active_plugins', 'bbws_guard_strip_blocked', 0);
add_filter('option_active_plugins', 'bbws_guard_strip_blocked', 0);
// Before core's activate_plugin() includes the file: it reads the plugin's headers first.
add_filter('extra_plugin_headers', function ($headers) {
  foreach (debug_backtrace(0, 8) as $frame) {
    if (isset($frame['function'], $frame['args'][0]) && $frame['function'] === 'activate_plugin' && !isset($frame['class'])) {
      bbws_guard_refuse_activation(plugin_basename(trim((string) $frame['args'][0])));
    }
  }
  return $headers;
}, 0);
add_action('activate_plugin', 'bbws_guard_refuse_activation', 0, 1);

/** A theme runs only when it is one of Debian's (its real path is in Debian's themes directory). */
function bbws_guard_theme_allowed($theme) {
  static $seen = array();
  $theme = (string) $theme;
  if (!isset($seen[$theme])) {
    $real = preg_match('/^[A-Za-z0-9._-]+$/', $theme) ? realpath(WP_CONTENT_DIR . '/themes/' . $theme) : false;
    $seen[$theme] = is_string($real) && strpos($real, ${phpString(safePath(input.coreThemesDir) + '/')}) === 0;
  }
  return $seen[$theme];
}

foreach (array('template', 'stylesheet') as $bbws_option) {
  add_filter('option_' . $bbws_option, function ($value) {
    return bbws_guard_theme_allowed($value) ? $value : ${phpString(safeName(input.defaultTheme))};
  }, 0);
  add_filter('pre_update_option_' . $bbws_option, function ($value, $old) {
    return bbws_guard_theme_allowed($value) ? $value : $old;
  }, 0, 2);
}
unset($bbws_option);

/** Host names of this tenant's sites (the sites map loaded by wp-config.php) and of this request. */
function bbws_guard_own_hosts() {
  $hosts = isset($GLOBALS['bbws_sites']) && is_array($GLOBALS['bbws_sites']) ? array_keys($GLOBALS['bbws_sites']) : array();
  foreach (array(defined('WP_HOME') ? WP_HOME : '', home_url()) as $url) {
    $h = parse_url($url, PHP_URL_HOST);
    if (is_string($h)) {
      $hosts[] = strtolower($h);
    }
  }
  if (isset($_SERVER['HTTP_HOST'])) {
    $hosts[] = strtolower(preg_replace('/:[0-9]+$/', '', (string) $_SERVER['HTTP_HOST']));
  }
  return array_unique($hosts);
}

add_action('http_api_curl', function ($handle, $args, $url) {
  $host = parse_url($url, PHP_URL_HOST);
  if (!is_string($host) || !defined('CURLOPT_RESOLVE')) {
    return;
  }
  $host = strtolower($host);
  if (!in_array($host, bbws_guard_own_hosts(), true)) {
    return;
  }
  $port = parse_url($url, PHP_URL_PORT);
  if (!$port) {
    $port = parse_url($url, PHP_URL_SCHEME) === 'https' ? 443 : 80;
  }
  curl_setopt($handle, CURLOPT_RESOLVE, array($host . ':' . $port . ':127.0.0.1'));
}, 10, 3);

${renderLoginFailureHooks()}`;
}
