/**
 * What the PHP scanner knows about PHP's and WordPress's functions: which ones run code, which read
 * request input, which call a callable they are given, which rewrite strings. Names are lowercase,
 * without a leading backslash (PHP function names are case-insensitive).
 */

/** Functions that start a process. */
export const SHELL_FUNCTIONS = new Set(['system', 'exec', 'shell_exec', 'passthru', 'popen', 'proc_open', 'pcntl_exec', 'expect_popen']);

/** Functions that compile a string as PHP (`eval` is a language construct, handled apart). */
export const CODE_FUNCTIONS = new Set(['assert', 'create_function']);

/** Functions that call the callable in the given argument position (`-1`: every argument after the first). */
export const CALLBACK_ARGS: Record<string, number> = {
  call_user_func: 0, call_user_func_array: 0, forward_static_call: 0, forward_static_call_array: 0,
  array_map: 0, register_shutdown_function: 0, register_tick_function: 0, ob_start: 0,
  set_error_handler: 0, set_exception_handler: 0, spl_autoload_register: 0, header_register_callback: 0,
  array_filter: 1, array_walk: 1, array_walk_recursive: 1, array_reduce: 1, usort: 1, uasort: 1, uksort: 1,
  iterator_apply: 1, preg_replace_callback: 1, mb_ereg_replace_callback: 1, array_udiff: 2, array_uintersect: 2,
  add_action: 1, add_filter: 1, add_shortcode: 1, register_activation_hook: 1, register_deactivation_hook: 1,
  register_uninstall_hook: 1, wp_add_dashboard_widget: 2, add_menu_page: 4, add_submenu_page: 5,
  add_options_page: 4, add_management_page: 4, add_meta_box: 2, register_rest_route: -1,
};

/** Functions that write a file: the argument that names the destination and the one with the data. */
export const FILE_WRITERS: Record<string, { path: number; data?: number }> = {
  file_put_contents: { path: 0, data: 1 },
  move_uploaded_file: { path: 1 },
  copy: { path: 1, data: 0 },
  rename: { path: 1, data: 0 },
  symlink: { path: 1, data: 0 },
  link: { path: 1, data: 0 },
  fopen: { path: 0 },
  tempnam: { path: 0 },
};

/** Decoders: what comes out of them was hidden in what went in. */
export const DECODERS = new Set(['base64_decode', 'gzinflate', 'gzuncompress', 'gzdecode', 'str_rot13', 'hex2bin', 'convert_uudecode', 'bzdecompress', 'lzf_decompress', 'pack', 'urldecode', 'rawurldecode', 'strrev']);

/** Functions a dynamic callee must not resolve to, beyond the shell and eval-like ones: they run, write or unpack code. */
export const INDIRECT_DANGER = new Set([
  ...Object.keys(CALLBACK_ARGS).filter((n) => !n.startsWith('add_') && !n.startsWith('register_') && !n.startsWith('wp_')),
  ...Object.keys(FILE_WRITERS), ...DECODERS, 'fwrite', 'fputs', 'extract', 'parse_str', 'unserialize', 'preg_replace', 'mb_ereg_replace',
  'mb_eregi_replace', 'include', 'require', 'include_once', 'require_once', 'ini_set', 'putenv', 'dl', 'mail', 'mb_send_mail',
  'curl_exec', 'fsockopen', 'stream_socket_client', 'closure::fromcallable', 'stream_wrapper_register', 'ffi::cdef', 'ffi::load',
]);

/** Names that have no business being assembled from pieces, decoded or hidden in escapes. */
export const SUSPICIOUS_NAMES = new Set([...SHELL_FUNCTIONS, ...CODE_FUNCTIONS, ...INDIRECT_DANGER, 'eval']);

/** Classes whose objects call a function named by a value. */
export const REFLECTION_CLASSES = new Set(['reflectionfunction', 'reflectionmethod', 'reflectionclass']);

/** Superglobals a client writes. `$_SERVER` and `$_ENV` are split by key (see {@link isRequestServerKey}). */
export const REQUEST_SUPERGLOBALS = new Set(['_GET', '_POST', '_REQUEST', '_COOKIE', '_FILES', 'HTTP_RAW_POST_DATA', 'HTTP_GET_VARS', 'HTTP_POST_VARS', 'HTTP_COOKIE_VARS', 'HTTP_POST_FILES']);
export const SERVER_SUPERGLOBALS = new Set(['_SERVER', '_ENV', 'HTTP_SERVER_VARS', 'HTTP_ENV_VARS']);
export const ALL_SUPERGLOBALS = new Set([...REQUEST_SUPERGLOBALS, ...SERVER_SUPERGLOBALS, '_SESSION', 'GLOBALS']);

/** `$_SERVER`/`getenv()` keys whose value comes from the request (headers become `HTTP_*` under FastCGI). */
export function isRequestServerKey(key: string): boolean {
  return /^(HTTP_|REDIRECT_|QUERY_STRING|REQUEST_URI|PATH_INFO|ORIG_PATH_INFO|PATH_TRANSLATED|PHP_SELF|SCRIPT_URL|SCRIPT_URI|CONTENT_TYPE|CONTENT_LENGTH|PHP_AUTH_|AUTH_|REMOTE_USER|SERVER_NAME|ARGV$)/i.test(key);
}

/** Functions whose result is request input whatever their arguments. */
export const SOURCE_FUNCTIONS = new Set(['filter_input', 'filter_input_array', 'getallheaders', 'apache_request_headers', 'http_get_request_body', 'get_query_var', 'wp_get_raw_referer']);

/** Methods of WP_REST_Request (and friends) that return request input. */
export const SOURCE_METHODS = new Set(['get_param', 'get_params', 'get_json_params', 'get_body_params', 'get_query_params', 'get_url_params', 'get_file_params', 'get_body', 'get_header', 'get_headers']);

/** Functions whose result cannot carry a string chosen by the caller (numbers, booleans, hashes). */
export const CLEANSERS = new Set([
  'intval', 'absint', 'floatval', 'boolval', 'count', 'sizeof', 'strlen', 'mb_strlen', 'isset', 'empty', 'in_array', 'array_key_exists',
  'is_array', 'is_string', 'is_numeric', 'is_int', 'is_bool', 'is_null', 'is_callable', 'is_email', 'function_exists', 'method_exists',
  'class_exists', 'defined', 'file_exists', 'is_file', 'is_dir', 'is_readable', 'is_writable', 'md5', 'sha1', 'crc32', 'hash', 'hash_hmac',
  'wp_hash', 'wp_verify_nonce', 'check_admin_referer', 'check_ajax_referer', 'current_user_can', 'is_admin', 'is_user_logged_in',
  'time', 'microtime', 'mt_rand', 'rand', 'wp_rand', 'uniqid', 'wp_create_nonce', 'strpos', 'stripos', 'strcmp', 'preg_match',
  'preg_match_all', 'version_compare', 'max', 'min', 'round', 'floor', 'ceil', 'abs', 'number_format', 'date', 'gmdate', 'json_last_error',
]);

/** Sanitizers whose output has no `/` or `..`: still request input, but it cannot leave a directory. */
export const PATH_SANITIZERS = new Set(['basename', 'sanitize_file_name', 'sanitize_key', 'sanitize_title', 'sanitize_html_class', 'sanitize_user']);

/** Stream wrappers that make `include` read something that is not a file of the package (any `scheme://`: plugins can register their own). */
export const STREAM_SCHEME = /^\s*(https?:|ftps?:|php:|data:|phar:|expect:|zip:|zlib:|compress\.|glob:|ssh2\.|rar:|ogg:|file:|[a-z][a-z0-9+.-]*:\/\/)/i;

/** Functions whose result is content from the network (a command-and-control server can choose it). */
export const REMOTE_SOURCES = new Set(['wp_remote_get', 'wp_remote_post', 'wp_remote_request', 'wp_safe_remote_get', 'wp_safe_remote_post', 'wp_remote_retrieve_body', 'download_url', 'curl_exec', 'curl_multi_getcontent', 'fsockopen', 'stream_socket_client', 'socket_read']);

/** Functions that give a directory the site can write: code included from there may be the plugin's own drop. */
export const WRITABLE_DIRS = new Set(['sys_get_temp_dir', 'get_temp_dir', 'wp_upload_dir', 'tempnam', 'tmpfile', 'wp_tempnam', 'session_save_path']);

/** Functions that return one element of their array argument. */
export const ELEMENT_OF = new Set(['end', 'reset', 'current', 'next', 'prev', 'array_pop', 'array_shift', 'array_rand', 'array_key_first', 'array_key_last']);
/** Functions that return an array made of their array arguments' elements. */
export const ARRAY_OF = new Set(['array_merge', 'array_slice', 'array_splice', 'array_unique', 'array_filter', 'array_pad', 'array_replace', 'array_diff', 'array_intersect', 'array_chunk', 'array_fill', 'compact']);

/** `ini_set()` keys that make PHP run another file or lift a restriction. */
export const DANGEROUS_INI = /^(auto_prepend_file|auto_append_file|include_path|open_basedir|disable_functions|allow_url_include|allow_url_fopen|sendmail_path|mail\.force_extra_parameters|error_log|extension|zend_extension)$/i;

/** File names PHP (or php-fpm, or a web server) would run or obey. */
export const EXECUTABLE_FILE = /(\.(php[0-9]?|phtml|pht|phar|inc|module|shtml|cgi|pl|py)|(^|\/)\.user\.ini|(^|\/)\.htaccess|(^|\/)php\.ini)$/i;

/** Names that end a branch (`if (!ok) { return; }`). */
export const TERMINATING_CALLS = new Set(['wp_die', 'die', 'exit', 'wp_send_json_error', 'wp_send_json', 'wp_send_json_success']);
