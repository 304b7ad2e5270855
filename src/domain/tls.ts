/**
 * TLS at the edge: the modes, which names get a certificate from where, and when a certificate
 * is renewed. Pure rules; the certificates themselves are made by adapters/tls/.
 */

/** `auto`: ACME for real names, the local CA for local ones; `manual`: operator-provided only; `off`: HTTP only. */
export type TlsMode = 'auto' | 'manual' | 'off';
export const TLS_MODES: readonly TlsMode[] = ['auto', 'manual', 'off'];

export interface TlsSettings {
  mode: TlsMode;
  /** Port of the edge's HTTPS listener (default 8443). */
  httpsPort: number;
  /** ACME directory URL (default Let's Encrypt production). */
  acmeDirectory: string;
  /** Contact address given to the ACME CA; null: none. */
  acmeEmail: string | null;
  /** PEM bundle trusted for the ACME directory's own HTTPS (a test CA such as Pebble's); null: the system's CAs. */
  acmeCaFile: string | null;
}

export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';

export const TLS_OFF: TlsSettings = Object.freeze({ mode: 'off', httpsPort: 8443, acmeDirectory: LETS_ENCRYPT_PRODUCTION, acmeEmail: null, acmeCaFile: null });

/** Where a certificate comes from. */
export type CertificateSource = 'acme' | 'local-ca' | 'manual';

/**
 * Names no public CA will ever issue for (RFC 6761/6762/8375 special-use names and `.internal`):
 * they get certificates from the platform's local CA, as mkcert does.
 */
const LOCAL_SUFFIXES = ['localhost', 'local', 'internal', 'test', 'invalid', 'example', 'home.arpa', 'lan'];

export function isLocalName(hostname: string): boolean {
  return LOCAL_SUFFIXES.some((s) => hostname === s || hostname.endsWith(`.${s}`));
}

/** Which issuer serves `hostname` in `mode` (null: the platform issues nothing for it). */
export function sourceFor(mode: TlsMode, hostname: string): CertificateSource | null {
  if (mode !== 'auto') return null;
  return isLocalName(hostname) ? 'local-ca' : 'acme';
}

/** Renewal at two thirds of the lifetime (Let's Encrypt's advice: 60 days into 90). */
export function renewalTime(notBefore: Date, notAfter: Date): Date {
  return new Date(notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3);
}

/** After a failed issuance, wait before trying again: 1 min doubling to 1 h. */
export function retryDelayMs(failures: number): number {
  return Math.min(3_600_000, 60_000 * 2 ** Math.max(0, failures - 1));
}

/** HSTS is sent in prod only (a dev or sit browser that saw it would refuse plain HTTP for a year). */
export function sendsHsts(env: string): boolean {
  return env === 'prod';
}

/** FORCE_SSL_ADMIN: on in sit and prod, when the edge can serve HTTPS. */
export function forcesSslAdmin(env: string, mode: TlsMode): boolean {
  return mode !== 'off' && (env === 'sit' || env === 'prod');
}
