/**
 * The page-cache must-use plugin every tenant gets (`tenants/<t>/mu-plugins/bbws-cache.php`,
 * root-owned, beside the guard). Pure renderer, checked against
 * test/fixtures/local-runtime/bbws-cache.php.
 *
 * - **Purge on change**: a post or page saved, trashed, deleted or published (a scheduled post
 *   too: WP-Cron's publish is a status transition); a comment posted approved (form or REST), approved or unapproved, edited, deleted;
 *   a menu, widget, theme, customizer or any other option changed (transients, cron and locks
 *   aside). The purge is queued once per request and sent at `shutdown`, which php-fpm runs
 *   before the answer is complete: the redirect after "Update" reaches the browser after the
 *   purge. It goes to the platform's purge socket (purge-server.ts) with the tenant's key, for
 *   this site's host: the platform purges that host and the site's other names, nothing else.
 * - **TTL**: the site's `cache.ttlSeconds` from the sites map, sent as `X-Accel-Expires` (nginx
 *   honours it, never forwards it); `X-Accel-Expires: 0` for a logged-in user, so that a page
 *   made for one is never stored even if a cookie rule at the edge missed it.
 */
import { phpString, safePath, safeTenantId } from '../../runtime/local/escape.js';

export const CACHE_PLUGIN_FILE = 'bbws-cache.php';

export interface CachePluginInput {
  tenantId: string;
  purgeSocket: string;
  keyFile: string;
  sitesMapFile: string;
}

export function renderCachePlugin(input: CachePluginInput): string {
  return `<?php
/**
 * Plugin Name: BBWS page cache
 * Description: Purges the edge's page cache when content changes; per-site cache TTL. Managed by the platform.
 * Rendered by bbws (adapters/wordpress/local/render-cache-plugin.ts). Do not edit.
 */
if (!defined('ABSPATH')) {
  exit;
}

/** This request's site entry of the sites map (host → id, home, cache), or null. */
function bbws_cache_site() {
  $raw = @file_get_contents(${phpString(safePath(input.sitesMapFile))});
  $map = is_string($raw) ? json_decode($raw, true) : null;
  $host = strtolower(preg_replace('/:[0-9]+$/', '', isset($_SERVER['HTTP_HOST']) ? (string) $_SERVER['HTTP_HOST'] : ''));
  return is_array($map) && isset($map[$host]) && is_array($map[$host]) ? $map[$host] : null;
}

add_action('send_headers', function () {
  if (is_user_logged_in()) {
    header('X-Accel-Expires: 0');
    return;
  }
  $site = bbws_cache_site();
  if (is_array($site) && isset($site['cache']['ttl']) && is_int($site['cache']['ttl'])) {
    header('X-Accel-Expires: ' . max(0, $site['cache']['ttl']));
  }
});

/** Sends the purge of this site's pages to the platform. Returns the answer, or null. */
function bbws_cache_purge_now() {
  $key = @file_get_contents(${phpString(safePath(input.keyFile))});
  $host = parse_url(home_url(), PHP_URL_HOST);
  if (!is_string($key) || !is_string($host)) {
    return null;
  }
  $sock = @stream_socket_client('unix://' . ${phpString(safePath(input.purgeSocket))}, $errno, $errstr, 1.0);
  if (!$sock) {
    error_log('bbws-cache: the platform purge socket did not answer: ' . $errstr);
    return null;
  }
  stream_set_timeout($sock, 5);
  fwrite($sock, json_encode(array('tenant' => ${phpString(safeTenantId(input.tenantId))}, 'key' => trim($key), 'host' => strtolower($host))) . "\\n");
  $answer = fgets($sock);
  fclose($sock);
  $result = is_string($answer) ? json_decode($answer, true) : null;
  if (!is_array($result) || empty($result['ok'])) {
    error_log('bbws-cache: purge refused: ' . (is_array($result) && isset($result['error']) ? $result['error'] : 'no answer'));
  }
  return $result;
}

/** Queues one purge for the end of this request, however many changes it makes. */
function bbws_cache_purge_later() {
  static $queued = false;
  if (!$queued) {
    $queued = true;
    add_action('shutdown', 'bbws_cache_purge_now', 0);
  }
}

/** Options whose change shows on no page (transients, cron, locks, counters). */
function bbws_cache_option_ignored($name) {
  return (bool) preg_match('/^(_site_transient_|_transient_|cron$|doing_cron$|recently_edited$|recovery_keys$|auto_updater\\.lock$|core_updater\\.lock$|fresh_site$|finished_splitting_shared_terms$|db_upgraded$|can_compress_scripts$|auto_core_update_)/', (string) $name);
}

add_action('save_post', function ($id, $post) {
  if (wp_is_post_revision($id) || wp_is_post_autosave($id) || (is_object($post) && $post->post_status === 'auto-draft')) {
    return;
  }
  bbws_cache_purge_later();
}, 10, 2);
add_action('transition_post_status', function ($new, $old) {
  if ($new === 'publish' || $old === 'publish') {
    bbws_cache_purge_later();
  }
}, 10, 2);
foreach (array('deleted_post', 'trashed_post', 'untrashed_post', 'edit_comment', 'deleted_comment', 'trashed_comment', 'wp_set_comment_status', 'wp_update_nav_menu', 'wp_delete_nav_menu', 'switch_theme', 'customize_save_after', 'edited_term', 'delete_term') as $bbws_hook) {
  add_action($bbws_hook, 'bbws_cache_purge_later');
}
unset($bbws_hook);
// A comment that is visible at once: posted approved (the form: comment_post; the REST API and
// wp_insert_comment callers: wp_insert_comment), or approved later (transition_comment_status).
add_action('comment_post', function ($id, $approved) {
  if ($approved === 1 || $approved === '1') {
    bbws_cache_purge_later();
  }
}, 10, 2);
add_action('wp_insert_comment', function ($id, $comment) {
  if (is_object($comment) && (string) $comment->comment_approved === '1') {
    bbws_cache_purge_later();
  }
}, 10, 2);
add_action('transition_comment_status', function ($new, $old) {
  if ($new === 'approved' || $old === 'approved') {
    bbws_cache_purge_later();
  }
}, 10, 2);
foreach (array('updated_option', 'added_option', 'deleted_option') as $bbws_hook) {
  add_action($bbws_hook, function ($name) {
    if (!bbws_cache_option_ignored($name)) {
      bbws_cache_purge_later();
    }
  });
}
unset($bbws_hook);
`;
}
