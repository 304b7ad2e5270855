/**
 * Failed WordPress logins and brute-force blocks at the edge (seed 002 "Check Failed Login
 * Attempts"). Pure renderers, beside render-nginx.ts so that the edge's other concerns (TLS,
 * cache) change their own files.
 *
 * - The guard mu-plugin answers a failed login (wp-login.php, XML-RPC, a REST application
 *   password) with an `X-BBWS-Login-Failed: <user name>` header. nginx writes those answers to
 *   `edge/logs/login-failures.jsonl` (one JSON line: time, client address, host, URI, user name,
 *   status) and hides the header from the client. Tenant PHP can only speak for its own host
 *   names: nginx writes the host and the address, not PHP.
 * - A block is a file `edge/login-blocks/<host>@<address>` (login-guard.ts creates and expires
 *   it): while it exists, nginx answers that address 429 on that host, and only there. Checked
 *   with a stat per request, so blocking and unblocking need no reload.
 */
import { safePath } from './escape.js';

export const LOGIN_FAILED_HEADER = 'X-BBWS-Login-Failed';
export const LOGIN_FAILURES_LOG = 'login-failures.jsonl';
export const LOGIN_BLOCKS_DIR = 'login-blocks';

/** The file whose existence blocks `address` on `host` (both as nginx has them: $host, $remote_addr). */
export function loginBlockFileName(host: string, address: string): string {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(host) || !/^[0-9a-f.:]+$/i.test(address)) throw new Error(`unsafe block key ${host}@${address}`);
  return `${host}@${address}`;
}

/** http-level directives: the log of failed logins, and the header never reaching the client. */
export function renderLoginFailureLog(edgeDir: string): string {
  const edge = safePath(edgeDir);
  return `  # Failed WordPress logins, as the guard mu-plugin reports them (render-nginx-login.ts).
  map $upstream_http_x_bbws_login_failed $bbws_login_failed {
    "" 0;
    default 1;
  }
  log_format bbws_login escape=json '{"time":"$time_iso8601","ip":"$remote_addr","host":"$host","uri":"$request_uri","user":"$upstream_http_x_bbws_login_failed","status":$status}';
  access_log ${edge}/logs/${LOGIN_FAILURES_LOG} bbws_login if=$bbws_login_failed;
  fastcgi_hide_header ${LOGIN_FAILED_HEADER};
`;
}

/** server-level: 429 for an address blocked on this host (after the host name check). */
export function renderLoginBlockCheck(edgeDir: string): string {
  const edge = safePath(edgeDir);
  return `    # Brute-force protection: blocked on this host after too many failed logins (login-guard.ts).
    if (-f ${edge}/${LOGIN_BLOCKS_DIR}/$host@$remote_addr) { return 429; }
`;
}

/** The guard mu-plugin's part: the header on every failed login. */
export function renderLoginFailureHooks(): string {
  return `// (c) Failed logins: tell the edge (it logs the header and never sends it on).
function bbws_guard_login_failed($username) {
  if (!headers_sent()) {
    header('${LOGIN_FAILED_HEADER}: ' . rawurlencode(substr((string) $username, 0, 100)));
  }
}
add_action('wp_login_failed', 'bbws_guard_login_failed', 0, 1);
add_action('application_password_failed_authentication', function ($error) {
  bbws_guard_login_failed(isset($_SERVER['PHP_AUTH_USER']) ? (string) $_SERVER['PHP_AUTH_USER'] : '');
}, 0, 1);
`;
}
