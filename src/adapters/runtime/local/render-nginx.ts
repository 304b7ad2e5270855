/**
 * Pure renderer of the edge (nginx) configuration. There is ONE server block for every tenant,
 * and it never changes when tenants come and go: the tenant is found at request time through
 * the route table, a directory of symlinks named after host names
 * (`routes/<host>` → the tenant docroot, `sockets/<host>.sock` → its php-fpm socket). Adding or
 * removing a route is two `symlink`/`unlink` calls and no reload, so neighbours never see a
 * reload (a server block per tenant, or a `map` include, would need one per change).
 */
import { safeName, safePath, safePort } from './escape.js';
import { renderLoginBlockCheck, renderLoginFailureLog } from './render-nginx-login.js';
import { renderCacheFastcgi, renderCacheHttp, renderCacheServer, type EdgeCacheInput } from './render-nginx-cache.js';
import { renderLimitResponseLog, renderLimitsHttp, renderLimitsServer, type EdgeLimitsInput } from './render-nginx-limits.js';
import { renderHstsHeader, renderTlsHttp, renderTlsListen, renderTlsServer, type EdgeTlsInput } from './render-nginx-tls.js';
import { renderBasicAuthServer, renderPreviousPasswordServer, type EdgeBasicAuthInput } from './render-nginx-basic-auth.js';

export interface EdgeConfigInput {
  /** The edge directory (pid, logs, temp dirs). */
  edgeDir: string;
  routesDir: string;
  socketsDir: string;
  /** Suspended host names (edge-suspensions.ts): answered 503 with a page saying so. */
  suspendedDir: string;
  listenAddress: string;
  port: number;
  /** Worker user and group (root only); null: workers run as the current user. */
  workerUser: { user: string; group: string } | null;
  /** Basic auth for the whole edge (SIT and PROD), with a rotated password's grace window; null: none. */
  basicAuth: EdgeBasicAuthInput | null;
  workerProcesses: number;
  mimeTypesFile: string;
  /** Debian's WordPress core: serves the core themes every tenant links to (see below). */
  wordpressCore: string;
  /** The page cache (render-nginx-cache.ts); null: none. */
  cache?: EdgeCacheInput | null;
  /** Per-tenant request rate and connection limits (render-nginx-limits.ts); null: none. */
  limits?: EdgeLimitsInput | null;
  /** HTTPS beside HTTP (render-nginx-tls.ts); absent or null: HTTP only. */
  tls?: EdgeTlsInput | null;
}

function safeListenAddress(value: string): string {
  if (!/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\])$/.test(value)) throw new Error(`unsafe listen address ${value}`);
  return value;
}

export function renderEdgeConfig(input: EdgeConfigInput): string {
  const edge = safePath(input.edgeDir);
  const routes = safePath(input.routesDir);
  const sockets = safePath(input.socketsDir);
  const suspended = safePath(input.suspendedDir);
  const port = safePort(input.port);
  const listen = safeListenAddress(input.listenAddress);
  const user = input.workerUser ? `user ${safeName(input.workerUser.user)} ${safeName(input.workerUser.group)};\n` : '';
  const tls = input.tls ?? null;
  const auth = input.basicAuth ? renderBasicAuthServer(input.basicAuth, listen, port) : '';
  const cache = input.cache ?? null;
  const limits = input.limits ?? null;
  return `# Rendered by bbws (render-nginx.ts). Do not edit: re-rendered on start.
${user}worker_processes ${Math.max(1, Math.min(64, Math.trunc(input.workerProcesses)))};
pid ${edge}/nginx.pid;
error_log ${edge}/logs/error.log warn;

events {
  worker_connections 4096;
}

http {
  include ${safePath(input.mimeTypesFile)};
  default_type application/octet-stream;
  server_tokens off;
  sendfile on;
  keepalive_timeout 65;
  # The largest per-tenant upload limit (tenant-limits.ts uploadMaxMb); each tenant's own is a 413 from PHP's prepend.
  client_max_body_size 513m;

  log_format bbws '$remote_addr $host "$request" $status $body_bytes_sent $request_time $upstream_response_time';
  access_log ${edge}/logs/access.log bbws;
${renderLoginFailureLog(edge)}${renderLimitResponseLog(edge)}
  client_body_temp_path ${edge}/tmp/body;
  fastcgi_temp_path ${edge}/tmp/fastcgi;
  proxy_temp_path ${edge}/tmp/proxy;
  uwsgi_temp_path ${edge}/tmp/uwsgi;
  scgi_temp_path ${edge}/tmp/scgi;
${tls ? renderTlsHttp(tls) : ''}
  # Debian's fastcgi_params sends HTTP_HOST as $host, which drops the port: WordPress then
  # redirects http://host:8088/ to http://host/ and loops. Keep the port, but take it only as
  # digits from the Host header so nothing else of that header reaches PHP.
  map $http_host $bbws_request_port {
    "~^[^:]+(?<bbws_port>:[0-9]{1,5})$" $bbws_port;
    default "";
  }

  # A TLS-terminating proxy in front says https; otherwise the scheme we were reached with. When
  # the edge terminates TLS itself, only its own scheme counts (a client's header is not believed).
  map $http_x_forwarded_proto $bbws_forwarded_proto {
${tls ? '' : '    https https;\n'}    default $scheme;
  }
${cache ? renderCacheHttp(cache) : ''}${limits ? renderLimitsHttp(limits) : ''}
  server {
    listen ${listen}:${port} default_server;${tls ? renderTlsListen(listen, tls) : ''}
    server_name _;

    # The route table: only host names made of DNS characters are looked up at all.
    if ($host !~ "^[a-z0-9][a-z0-9.-]*$") { return 404; }
    # A suspended site (its tenant soft-deleted) says so, for every path, before its route is
    # looked at: 503 with Retry-After, not a 502 or a 404 that would look like a fault or a loss.
    if (-f ${suspended}/$host) { rewrite ^ /__bbws_suspended__ last; }
    set $bbws_route ${routes}/$host;
    if (!-d $bbws_route) { return 404; }
${renderLoginBlockCheck(edge)}    root $bbws_route;
    index index.php index.html;
${tls ? renderTlsServer(tls) : ''}
    # A symlink below the docroot is followed only when the link and what it points to have the
    # same owner. A tenant can make links only as itself, so it can point only at its own files:
    # never at another tenant's, the platform's or the system's (root's). bbws's own links have
    # their target's owner: www/<core entry> → /usr/share/wordpress (root), www/wp-content →
    # the tenant's content (the tenant). The route itself (routes/<host> → www) is before from=.
    disable_symlinks if_not_owner from=$document_root;
${cache ? renderCacheServer(cache) : ''}${limits ? renderLimitsServer(renderHstsHeader(tls)) : ''}
${auth}
    location = /__bbws_suspended__ {
      internal;
      default_type text/html;
      add_header Retry-After 3600 always;
      add_header Cache-Control no-store always;
${renderHstsHeader(tls)}      return 503 "<!doctype html><html><head><meta charset=utf-8><title>Site suspended</title></head><body><h1>This site is suspended</h1><p>Its hosting is suspended; it will answer again when the hosting is restored.</p></body></html>\\n";
    }
    # satisfy all: under basic auth's \`satisfy any\`, a good password would pass a deny.
    location ~ /\\. { satisfy all; deny all; }
    location ~* ^/wp-content/uploads/.*\\.php$ { satisfy all; deny all; }
    location = /favicon.ico { log_not_found off; try_files $uri =204; }

    location / {
      try_files $uri $uri/ /index.php$is_args$args;
    }

    # Debian's themes are linked into each tenant's themes/ by a link the tenant owns (it is in the
    # tenant's directory), which disable_symlinks refuses: what is not the tenant's own file is
    # served from Debian's copy, the same public files for everyone (never another tenant's).
    location /wp-content/themes/ {
      try_files $uri @bbws_core_themes;
    }
    location @bbws_core_themes {
      root ${safePath(input.wordpressCore)};
    }

    # PHP gets the docroot's real path ($realpath_root: tenants/<t>/www), never the route's: the
    # route table is the web group's only (layout.ts), and a tenant's PHP must not need it.
    location ~ \\.php$ {
      try_files $fastcgi_script_name =404;
      fastcgi_param QUERY_STRING $query_string;
      fastcgi_param REQUEST_METHOD $request_method;
      fastcgi_param CONTENT_TYPE $content_type;
      fastcgi_param CONTENT_LENGTH $content_length;
      fastcgi_param SCRIPT_NAME $fastcgi_script_name;
      fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;
      fastcgi_param REQUEST_URI $request_uri;
      fastcgi_param DOCUMENT_URI $document_uri;
      fastcgi_param DOCUMENT_ROOT $realpath_root;
      fastcgi_param SERVER_PROTOCOL $server_protocol;
      fastcgi_param REQUEST_SCHEME $scheme;
      fastcgi_param HTTPS $https if_not_empty;
      fastcgi_param GATEWAY_INTERFACE CGI/1.1;
      fastcgi_param SERVER_SOFTWARE nginx;
      fastcgi_param REMOTE_ADDR $remote_addr;
      fastcgi_param REMOTE_PORT $remote_port;
      fastcgi_param SERVER_ADDR $server_addr;
      fastcgi_param SERVER_PORT $server_port;
      fastcgi_param SERVER_NAME $host;
      fastcgi_param REDIRECT_STATUS 200;
      fastcgi_param HTTP_HOST $host$bbws_request_port;
      fastcgi_param HTTP_X_FORWARDED_PROTO $bbws_forwarded_proto;
      fastcgi_param HTTP_PROXY "";
      fastcgi_read_timeout 120s;
      fastcgi_pass unix:${sockets}/$host.sock;
${cache ? renderCacheFastcgi(cache) : ''}    }
  }
${input.basicAuth ? renderPreviousPasswordServer(input.basicAuth, listen, port) : ''}}
`;
}

/** One line of an nginx htpasswd file in `{SSHA}` form (salted SHA-1, understood by nginx). */
export function renderHtpasswdLine(user: string, sshaHash: string): string {
  if (!/^[a-z0-9-]{1,64}$/.test(user) || !/^\{SSHA\}[A-Za-z0-9+/=]+$/.test(sshaHash)) throw new Error('unsafe htpasswd entry');
  return `${user}:${sshaHash}\n`;
}
