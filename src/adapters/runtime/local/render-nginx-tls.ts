/**
 * The HTTPS part of the edge's nginx configuration (pure; render-nginx.ts places the pieces).
 *
 * The edge keeps its one server block and never reloads for a tenant, so certificates are found
 * the same way routes are: by name, at handshake time. `ssl_certificate` names a variable
 * (nginx ≥ 1.15.9), `tls/<SNI name>.pem`, one file holding the chain and the key, replaced by an
 * atomic rename (a handshake never sees a new chain with an old key). Without SNI, or with a name
 * outside DNS characters, the handshake gets `_default.pem` (a local-CA certificate for an
 * `.invalid` name). Files are 0640 root:<web group> in a 0710 directory inside `edge/`, which
 * tenants cannot enter: nginx's workers read them, tenants' PHP cannot.
 *
 * Plain HTTP redirects to HTTPS once the host has a certificate file (a `-f` test, no reload),
 * except ACME's HTTP-01 challenges, which are answered from `acme-challenge/` for routed hosts.
 * Mozilla's "intermediate" settings: TLS 1.2 and 1.3, ECDHE AEAD ciphers, no session tickets.
 */
import { safePath, safePort } from './escape.js';

export interface EdgeTlsInput {
  /** Port of the HTTPS listener (same address as HTTP). */
  httpsPort: number;
  /** `<name>.pem` files: certificate chain then private key. */
  certsDir: string;
  /** HTTP-01 challenge responses, one file per token. */
  challengeDir: string;
  /** Strict-Transport-Security on HTTPS answers (prod). */
  hsts: boolean;
}

/** The file for handshakes without a usable SNI name. */
export const DEFAULT_CERT_NAME = '_default';

const INTERMEDIATE_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** In `http {}`: protocols, ciphers, session cache, and the maps the server block uses. */
export function renderTlsHttp(input: EdgeTlsInput): string {
  const certs = safePath(input.certsDir);
  return `
  # HTTPS (render-nginx-tls.ts): Mozilla intermediate.
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_ciphers ${INTERMEDIATE_CIPHERS};
  ssl_prefer_server_ciphers off;
  ssl_session_cache shared:bbws_tls:10m;
  ssl_session_timeout 1d;
  ssl_session_tickets off;

  # The certificate file of the handshake's SNI name; only DNS characters reach a path.
  map $ssl_server_name $bbws_tls_file {
    "~^(?<bbws_sni>[a-z0-9][a-z0-9.-]{0,252})$" ${certs}/$bbws_sni.pem;
    default ${certs}/${DEFAULT_CERT_NAME}.pem;
  }
  map $scheme $bbws_hsts {
    https "${input.hsts ? 'max-age=31536000' : ''}";
    default "";
  }
`;
}

/**
 * HSTS inside a location that sets headers of its own (nginx inherits none of the server's
 * `add_header` lines there): the suspended page and the 429 answer. Empty without TLS.
 */
export function renderHstsHeader(input: EdgeTlsInput | null): string {
  return input ? '      add_header Strict-Transport-Security $bbws_hsts always;\n' : '';
}

/** Appended to the HTTP `listen` line's server: the HTTPS listener on the same address. */
export function renderTlsListen(listenAddress: string, input: EdgeTlsInput): string {
  return `\n    listen ${listenAddress}:${safePort(input.httpsPort)} ssl http2 default_server;`;
}

/**
 * In `server {}`, after the route check (so `$host` is a routed DNS name): the certificate, the
 * redirect, HSTS and the challenge location.
 */
export function renderTlsServer(input: EdgeTlsInput): string {
  const certs = safePath(input.certsDir);
  const port = safePort(input.httpsPort);
  const suffix = port === 443 ? '' : `:${port}`;
  return `
    ssl_certificate $bbws_tls_file;
    ssl_certificate_key $bbws_tls_file;

    # HTTP → HTTPS once this host has a certificate; ACME's HTTP-01 challenges stay on HTTP.
    set $bbws_tls_redirect "";
    if ($scheme = http) { set $bbws_tls_redirect ${certs}/$host.pem; }
    if ($uri ~ "^/\\.well-known/acme-challenge/") { set $bbws_tls_redirect ""; }
    if (-f $bbws_tls_redirect) { return 301 https://$host${suffix}$request_uri; }
    add_header Strict-Transport-Security $bbws_hsts always;

    location ^~ /.well-known/acme-challenge/ {
      auth_basic off;
      auth_request off;
      default_type text/plain;
      alias ${safePath(input.challengeDir)}/;
    }
`;
}
