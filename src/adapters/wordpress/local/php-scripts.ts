/**
 * The PHP the local WordPress adapter runs against Debian's core, as the tenant's user
 * (create-tenant-access.ts: `$input` is the JSON from stdin, ABSPATH is the tenant's docroot).
 * Embedded as strings because the build only emits .ts. Every script ends with `bbws_out(...)`,
 * which prints a marker and JSON: output before the marker (notices, a theme's echo) is ignored,
 * and a missing marker means the script died (wp_die, fatal error) — see {@link parsePhpResult}.
 */

export const RESULT_MARKER = '@@BBWS-RESULT@@';

const OUT = `
function bbws_out($value) {
  echo "\\n" . '${RESULT_MARKER}' . json_encode($value);
}
`;

/** The JSON after the marker, or an error that shows what PHP printed instead. */
export function parsePhpResult<T>(stdout: string, what: string): T {
  const at = stdout.lastIndexOf(RESULT_MARKER);
  if (at < 0) {
    // wp_die() prints an HTML page: show the message in its body, not the page's CSS.
    const body = /<body[^>]*>([\s\S]*?)<\/body>/i.exec(stdout)?.[1] ?? stdout;
    const text = body.replace(/<style[\s\S]*?<\/style>/gi, ' ').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
    throw new Error(`${what}: PHP ended without a result: ${text.slice(0, 400)}`);
  }
  return JSON.parse(stdout.slice(at + RESULT_MARKER.length)) as T;
}

/** wp_install() as the installer does it; idempotent through is_blog_installed(). */
export const INSTALL_SITE = `${OUT}
define('WP_INSTALLING', true);
require_once ABSPATH . 'wp-load.php';
/* Pluggable: no e-mail from a platform install (and no sendmail on the host). */
if (!function_exists('wp_new_blog_notification')) {
  function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}
}
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
if (is_blog_installed()) {
  bbws_out(array('installed' => false));
  return;
}
$result = wp_install($input['title'], $input['user'], $input['email'], true, '', $input['password']);
bbws_out(array('installed' => true, 'userId' => $result['user_id']));
`;

export const GET_OPTIONS = `${OUT}
$out = array();
foreach ($input['names'] as $name) {
  $out[$name] = get_option($name, null);
}
bbws_out($out);
`;

export const SET_OPTIONS = `${OUT}
foreach ($input['options'] as $name => $value) {
  update_option($name, $value);
}
bbws_out(true);
`;

/** A user's new password (`bbws secrets rotate T --site-admin S`); every session of theirs ends. */
export const SET_USER_PASSWORD = `${OUT}
$u = get_user_by('login', $input['user']);
if (!$u) { bbws_out(['error' => 'no user ' . $input['user'] . ' on this site']); return; }
wp_set_password($input['password'], $u->ID);
WP_Session_Tokens::get_instance($u->ID)->destroy_all();
bbws_out(true);
`;

/** Theme, options, pages/posts (idempotent by slug), front page, nav menu. */
export const APPLY_TEMPLATE = `${OUT}
$theme = wp_get_theme($input['theme']);
if (!$theme->exists() || $theme->errors()) {
  bbws_out(array('error' => 'theme ' . $input['theme'] . ' is not available'));
  return;
}
if (get_stylesheet() !== $input['theme']) {
  switch_theme($input['theme']);
}
foreach ($input['options'] as $name => $value) {
  update_option($name, $value);
}
$ids = array();
$front = 0;
foreach ($input['pages'] as $p) {
  $type = isset($p['type']) ? $p['type'] : 'page';
  $slug = isset($p['slug']) && $p['slug'] !== '' ? sanitize_title($p['slug']) : sanitize_title($p['title']);
  $post = array('post_title' => $p['title'], 'post_content' => $p['content'], 'post_status' => 'publish', 'post_type' => $type, 'post_name' => $slug);
  $existing = get_page_by_path($slug, OBJECT, $type);
  if ($existing) {
    $post['ID'] = $existing->ID;
    $id = wp_update_post(wp_slash($post), true);
  } else {
    $id = wp_insert_post(wp_slash($post), true);
  }
  if (is_wp_error($id)) {
    bbws_out(array('error' => 'page ' . $p['title'] . ': ' . $id->get_error_message()));
    return;
  }
  $ids[$p['title']] = $id;
  $ids[$slug] = $id;
  if (!empty($p['front'])) {
    $front = $id;
  }
}
if ($front) {
  update_option('show_on_front', 'page');
  update_option('page_on_front', $front);
}
$menu_id = 0;
if (!empty($input['menu'])) {
  $menu = wp_get_nav_menu_object($input['menu']['name']);
  $menu_id = $menu ? $menu->term_id : wp_create_nav_menu($input['menu']['name']);
  if (is_wp_error($menu_id)) {
    bbws_out(array('error' => 'menu: ' . $menu_id->get_error_message()));
    return;
  }
  $items = wp_get_nav_menu_items($menu_id, array('post_status' => 'any'));
  $have = array();
  foreach ($items ? $items : array() as $item) {
    $have[(int) $item->object_id] = true;
  }
  $position = count($have);
  foreach ($input['menu']['items'] as $title) {
    $pid = isset($ids[$title]) ? $ids[$title] : 0;
    if (!$pid) {
      $page = get_page_by_path(sanitize_title($title), OBJECT, 'page');
      $pid = $page ? $page->ID : 0;
    }
    if (!$pid || isset($have[$pid])) {
      continue;
    }
    $r = wp_update_nav_menu_item($menu_id, 0, array(
      'menu-item-object-id' => $pid,
      'menu-item-object' => get_post_type($pid),
      'menu-item-type' => 'post_type',
      'menu-item-status' => 'publish',
      'menu-item-title' => $title,
      'menu-item-position' => ++$position,
    ));
    if (is_wp_error($r)) {
      bbws_out(array('error' => 'menu item ' . $title . ': ' . $r->get_error_message()));
      return;
    }
    $have[$pid] = true;
  }
  /* Classic themes have menu locations; block themes (twentytwentythree) use navigation blocks. */
  $locations = get_registered_nav_menus();
  if ($locations) {
    $set = get_theme_mod('nav_menu_locations', array());
    $first = array_key_first($locations);
    if (empty($set[$first])) {
      $set[$first] = $menu_id;
      set_theme_mod('nav_menu_locations', $set);
    }
  }
}
bbws_out(array('stylesheet' => get_stylesheet(), 'pages' => count($input['pages']), 'menu' => $menu_id));
`;

/** Finds the plugin file of directory `slug` (prefers `<slug>/<slug>.php`), activates, verifies. */
export const ACTIVATE_PLUGIN = `${OUT}
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$slug = $input['slug'];
$files = array_keys(get_plugins('/' . $slug));
if (!$files) {
  bbws_out(array('error' => 'no plugin header found in ' . $slug));
  return;
}
sort($files);
$file = $slug . '/' . (in_array($slug . '.php', $files, true) ? $slug . '.php' : $files[0]);
$result = activate_plugin($file, '', false, false);
if (is_wp_error($result)) {
  bbws_out(array('error' => $result->get_error_message(), 'file' => $file));
  return;
}
wp_cache_delete('alloptions', 'options');
wp_cache_delete('active_plugins', 'options');
bbws_out(array('file' => $file, 'active' => in_array($file, (array) get_option('active_plugins', array()), true)));
`;

export const DEACTIVATE_PLUGIN = `${OUT}
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$slug = $input['slug'];
$files = array();
foreach ((array) get_option('active_plugins', array()) as $p) {
  if (strpos($p, $slug . '/') === 0 || $p === $slug . '.php') {
    $files[] = $p;
  }
}
if ($files) {
  deactivate_plugins($files, false, false);
}
bbws_out(array('deactivated' => $files));
`;

/**
 * wp-cron.php's logic (its lock, its loop over due events) with DOING_CRON defined before
 * WordPress loads, as in a real cron request. wp-cron.php itself cannot be required here: with
 * ABSPATH already defined it would not load WordPress, and it die()s when nothing is due.
 */
export const RUN_CRON = `${OUT}
define('DOING_CRON', true);
require_once ABSPATH . 'wp-load.php';
$crons = wp_get_ready_cron_jobs();
if (empty($crons)) {
  bbws_out(array('ran' => 0));
  return;
}
$lock_of = function () {
  global $wpdb;
  if (wp_using_ext_object_cache()) {
    return wp_cache_get('doing_cron', 'transient', true);
  }
  return $wpdb->get_var($wpdb->prepare("SELECT option_value FROM $wpdb->options WHERE option_name = %s LIMIT 1", '_transient_doing_cron'));
};
$gmt_time = microtime(true);
$held = get_transient('doing_cron');
if ($held && $held + WP_CRON_LOCK_TIMEOUT > $gmt_time) {
  bbws_out(array('ran' => 0, 'locked' => true));
  return;
}
$lock = sprintf('%.22F', microtime(true));
set_transient('doing_cron', $lock);
$ran = 0;
foreach ($crons as $timestamp => $cronhooks) {
  if ($timestamp > $gmt_time) {
    break;
  }
  foreach ($cronhooks as $hook => $keys) {
    foreach ($keys as $k => $v) {
      if ($v['schedule']) {
        wp_reschedule_event($timestamp, $v['schedule'], $hook, $v['args']);
      }
      wp_unschedule_event($timestamp, $hook, $v['args']);
      do_action_ref_array($hook, $v['args']);
      $ran++;
      if ($lock_of() !== $lock) {
        bbws_out(array('ran' => $ran, 'lockLost' => true));
        return;
      }
    }
  }
}
if ($lock_of() === $lock) {
  delete_transient('doing_cron');
}
bbws_out(array('ran' => $ran));
`;
