/**
 * The edge's basic auth (SIT, PROD) with a grace window for a rotated password (pure renderers,
 * spliced in by render-nginx.ts; applied by edge-basic-auth-files.ts).
 *
 * nginx's auth_basic stops at the first line of the user in its file, so one file cannot accept
 * two passwords of one user. Two files then: `htpasswd` holds the current password's hash,
 * `htpasswd.previous` the hash of the one it replaced while its grace window lasts (else it is
 * empty). The tenant server asks `satisfy any` of auth_basic (the current file) and auth_request:
 * only when the current password fails, a subrequest goes to a second server of the same
 * listener, named {@link PREVIOUS_PASSWORD_HOST}, whose auth_basic reads the previous file (204:
 * it matched; 403: it did not, so the visitor gets auth_basic's 401 and its realm once). nginx
 * opens both files at each request: a rotation writes files (atomic renames) and never reloads.
 *
 * `satisfy any` would let a good password through a `deny all` too, so every location that
 * denies says `satisfy all` (render-nginx.ts); and a location with `auth_basic off` says
 * `auth_request off` (render-nginx-tls.ts), or the subrequest would run there. The subrequest
 * goes through the tenant server's server-level rules too (route, suspension, TLS redirect): for
 * the ACME challenge path, which the redirect spares, it would be redirected and fail (500).
 */
import { safePath, safePort } from './escape.js';

/** Never a tenant's name (RFC 2606 `.invalid`); a visitor sending it learns no more than at the front door. */
export const PREVIOUS_PASSWORD_HOST = 'previous-basic-auth.bbws.invalid';
const CHECK_URI = '/__bbws_previous_basic_auth__';

export interface EdgeBasicAuthInput {
  realm: string;
  /** The current password's hash. */
  userFile: string;
  /** The replaced password's hash during its grace window; empty otherwise. */
  previousUserFile: string;
}

function safeRealm(value: string): string {
  if (!/^[A-Za-z0-9 ._-]{1,64}$/.test(value)) throw new Error(`unsafe realm ${value}`);
  return value;
}

/** Where the edge reaches its own listener (a wildcard address: loopback). */
function loopbackOf(listen: string): string {
  if (listen === '0.0.0.0') return '127.0.0.1';
  if (listen === '[::]') return '[::1]';
  return listen;
}

/** server-level: the current password, else the previous one (the subrequest's location with it). */
export function renderBasicAuthServer(auth: EdgeBasicAuthInput, listen: string, port: number): string {
  return `    # Basic auth: the current password, or the one it replaced during its grace window (render-nginx-basic-auth.ts).
    satisfy any;
    auth_basic "${safeRealm(auth.realm)}";
    auth_basic_user_file ${safePath(auth.userFile)};
    auth_request ${CHECK_URI};
    location = ${CHECK_URI} {
      internal;
      proxy_pass http://${loopbackOf(listen)}:${safePort(port)};
      proxy_set_header Host ${PREVIOUS_PASSWORD_HOST};
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Cookie "";
    }
`;
}

/** http-level: the server that checks a password against the previous file only. */
export function renderPreviousPasswordServer(auth: EdgeBasicAuthInput, listen: string, port: number): string {
  return `
  # The previous basic-auth password during its grace window (render-nginx-basic-auth.ts).
  server {
    listen ${listen}:${safePort(port)};
    server_name ${PREVIOUS_PASSWORD_HOST};
    access_log off;
    auth_basic "${safeRealm(auth.realm)}";
    auth_basic_user_file ${safePath(auth.previousUserFile)};
    error_page 401 = @bbws_not_previous;
    location / { try_files /.bbws-none =204; }
    location @bbws_not_previous { return 403; }
  }
`;
}
