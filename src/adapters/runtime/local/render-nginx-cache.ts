/**
 * Pure renderer of the edge's page cache (nginx `fastcgi_cache`), kept apart from
 * render-nginx.ts, which splices the three blocks in (http, server, PHP location).
 *
 * - **Key**: `<method>|<scheme>://<host><port><request URI>`: the scheme and port that PHP sees
 *   (`$bbws_forwarded_proto`, `HTTP_HOST` = `$host$bbws_request_port`), so one host's page is never
 *   another host's, and an https page never an http one. The method is in the key because fastcgi
 *   has no `cache_convert_head`: a cached HEAD answer has no body. page-cache.ts parses this key.
 * - **Bypass** (neither served from nor stored in the cache) when any of: not GET/HEAD; a path of
 *   WordPress's admin, login, REST, XML-RPC, cron, comment posting; a preview, nonce, REST or
 *   customizer query; a WordPress logged-in, comment-author, post-password or no-cache cookie; the
 *   site's cache switched off (a flag file `cache-off/<host>`, tested per request like the route
 *   table: no reload). Responses with `Set-Cookie` or `Cache-Control: private|no-cache|no-store`
 *   are never stored (nginx's defaults, kept), and the cache mu-plugin sends `X-Accel-Expires: 0`
 *   for a logged-in user as a second line.
 * - **TTL**: `defaultTtlSeconds` at the edge; a site's own TTL comes from the cache mu-plugin's
 *   `X-Accel-Expires` (render-cache-plugin.ts), which nginx prefers and never forwards.
 * - **Refresh**: `X-BBWS-Refresh: <refreshToken>` (only the platform knows it) bypasses the
 *   lookup and stores the answer: how a purge replaces the homepage instead of deleting it, so the
 *   next visitors get a HIT of the new page and do not wait on `fastcgi_cache_lock` (whose waiters
 *   poll every 500 ms, nginx's fixed interval). The header never reaches PHP.
 * - `X-Cache: HIT|MISS|BYPASS|EXPIRED|…` is `$upstream_cache_status`, set at server level so that
 *   other server-level headers (HSTS) stay inherited; absent for static files.
 */
import { safeInt, safePath, safeSecretToken } from './escape.js';

export interface EdgeCacheInput {
  /** The cache files (0700, the edge's user): platform data, never a tenant's to read. */
  cacheDir: string;
  /** Flag files `<host>`: the site's cache is off. */
  cacheOffDir: string;
  maxSizeMb: number;
  defaultTtlSeconds: number;
  /**
   * A purge's refresh (page-cache.ts, cache-refresh.ts): a request carrying this value in
   * `X-BBWS-Refresh` skips the cache lookup (and its lock) but stores its answer, replacing the
   * cached copy in place. Generated at each edge start; the config is not readable by tenants.
   * Absent: no refresh, purges only delete.
   */
  refreshToken?: string;
}

/** The name of the shared-memory zone (also in page-cache.ts's docs). */
export const CACHE_ZONE = 'bbws_pages';

/** Paths that are never cached (matched against the request URI as sent, and against $uri). */
export const BYPASS_PATHS = ['wp-admin', 'wp-login\\.php', 'wp-json', 'xmlrpc\\.php', 'wp-cron\\.php', 'wp-comments-post\\.php', 'wp-signup\\.php', 'wp-activate\\.php', 'wp-trackback\\.php'];
/** Query parameters that make a request uncacheable (previews, nonces, REST, customizer, replies). */
export const BYPASS_QUERY = ['preview', 'preview_id', 'preview_nonce', '[a-z0-9_-]*nonce', 'rest_route', 'customize_changeset_uuid', 'customize_theme', 'customize_messenger_channel', 'doing_wp_cron', 'replytocom', 'wc-ajax', 'add-to-cart'];
/** Cookies of a logged-in user, a commenter, a post password, or a plugin asking for no cache. */
export const BYPASS_COOKIES = ['wordpress_logged_in_', 'wordpress_sec_', 'wp-postpass_', 'comment_author_', 'wordpress_no_cache', 'woocommerce_items_in_cart', 'wp_woocommerce_session_'];

const SKIP_VARIABLES = '$bbws_skip_method $bbws_skip_path $bbws_skip_uri $bbws_skip_query $bbws_skip_cookie $bbws_skip_site';

/** The header of a refresh request (cache-refresh.ts sends it). */
export const REFRESH_HEADER = 'X-BBWS-Refresh';

/** In `http {}`: the cache path and zone, and the bypass maps. */
export function renderCacheHttp(input: EdgeCacheInput): string {
  const paths = BYPASS_PATHS.join('|');
  return `
  # Page cache (render-nginx-cache.ts). levels=2: page-cache.ts walks 256 directories at most.
  fastcgi_cache_path ${safePath(input.cacheDir)} levels=2 keys_zone=${CACHE_ZONE}:16m max_size=${safeInt(input.maxSizeMb, 1, 1_000_000)}m inactive=60m use_temp_path=off;
  map $request_method $bbws_skip_method {
    GET "";
    HEAD "";
    default method;
  }
  map $request_uri $bbws_skip_path {
    "~*^/+(${paths})([/?]|$)" path;
    default "";
  }
  map $uri $bbws_skip_uri {
    "~*^/+(${paths})(/|$)" path;
    default "";
  }
  map $args $bbws_skip_query {
    "~*(^|&)(${BYPASS_QUERY.join('|')})=" query;
    default "";
  }
  map $http_cookie $bbws_skip_cookie {
    "~*(${BYPASS_COOKIES.join('|')})" cookie;
    default "";
  }
${input.refreshToken === undefined ? '' : `  # A purge's refresh (page-cache.ts): looked up nowhere, stored over the cached copy.
  map $http_x_bbws_refresh $bbws_refresh {
    "${safeSecretToken(input.refreshToken)}" refresh;
    default "";
  }
`}  map "$upstream_cache_status|$bbws_cache_php" $bbws_x_cache {
    "|php" BYPASS;
    "~^(?<bbws_status>[A-Z]+)\|" $bbws_status;
    default "";
  }
`;
}

/** In `server {}`: the per-site switch and the X-Cache header. */
export function renderCacheServer(input: EdgeCacheInput): string {
  return `
    # Page cache switched off for this host (render-nginx-cache.ts): a flag file, no reload.
    set $bbws_skip_site "";
    if (-e ${safePath(input.cacheOffDir)}/$host) { set $bbws_skip_site off; }
    # nginx leaves the status empty for a method it does not cache (POST): BYPASS for PHP, nothing for static files.
    set $bbws_cache_php "";
    add_header X-Cache $bbws_x_cache always;
`;
}

/** In the PHP location. */
export function renderCacheFastcgi(input: EdgeCacheInput): string {
  return `
      set $bbws_cache_php php;
      fastcgi_cache ${CACHE_ZONE};
      fastcgi_cache_key "$request_method|$bbws_forwarded_proto://$host$bbws_request_port$request_uri";
      fastcgi_cache_valid 200 301 302 ${safeInt(input.defaultTtlSeconds, 1, 31_536_000)}s;
      fastcgi_cache_valid 404 60s;
      fastcgi_cache_bypass ${SKIP_VARIABLES}${input.refreshToken === undefined ? '' : ' $bbws_refresh'};
      fastcgi_no_cache ${SKIP_VARIABLES};${input.refreshToken === undefined ? '' : '\n      fastcgi_param HTTP_X_BBWS_REFRESH "";'}
      # One request fills a missing page; the others wait for it instead of all running PHP.
      fastcgi_cache_lock on;
      fastcgi_cache_lock_timeout 10s;
`;
}
