/**
 * The must-use plugin every tenant gets (`wp-content/mu-plugins/bbws-guard.php`, root-owned).
 * Pure renderer, checked against test/fixtures/local-runtime/bbws-guard.php.
 *
 * (a) The platform's plugin blocklist, enforced inside WordPress too (seed 001: a vetted
 *     marketplace is not enough when a plugin reaches the disk another way): a blocked plugin is
 *     stripped from `active_plugins` when it is written (`pre_update_option_active_plugins`) and
 *     when it is read (`option_active_plugins`, so it is never loaded even if someone wrote the
 *     row by SQL), and an activation attempt ends in wp_die (`activate_plugin`). Note that core's
 *     activate_plugin() includes the plugin file once before that action fires; the plugin is
 *     never activated or loaded afterwards. The list is a JSON file the platform writes
 *     (`[{ "slug", "versions": [..] | "*", "reason" }]`, see blocklist.ts).
 * (b) Loopback: site URLs are `http://<host>:<edgePort>` and `*.localhost` or a custom domain may
 *     not resolve on this host, so curl is told to reach the tenant's own host names at 127.0.0.1
 *     (CURLOPT_RESOLVE) — the edge routes them by Host as usual.
 */
import { phpString, safePath } from '../../runtime/local/escape.js';

export const GUARD_PLUGIN_FILE = 'bbws-guard.php';

export interface GuardPluginInput {
  /** The tenant's blocklist JSON file (absolute). */
  blocklistFile: string;
}

export function renderGuardPlugin(input: GuardPluginInput): string {
  return `<?php
/**
 * Plugin Name: BBWS guard
 * Description: Platform plugin blocklist and loopback resolution. Managed by the platform.
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

function bbws_guard_strip_blocked($plugins) {
  if (!is_array($plugins)) {
    return $plugins;
  }
  return array_values(array_filter($plugins, function ($p) {
    return bbws_guard_blocked_reason($p) === false;
  }));
}

add_filter('pre_update_option_active_plugins', 'bbws_guard_strip_blocked', 0);
add_filter('option_active_plugins', 'bbws_guard_strip_blocked', 0);
add_action('activate_plugin', function ($plugin) {
  $reason = bbws_guard_blocked_reason($plugin);
  if ($reason !== false) {
    wp_die(esc_html(sprintf('The plugin %s is blocked by the platform: %s', $plugin, $reason)), 'Plugin blocked', array('response' => 403));
  }
}, 0, 1);

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
`;
}
