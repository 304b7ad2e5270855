/**
 * The edge's TLS certificates (docs/tls.md). Adapter: adapters/tls/certificate-manager.ts (files
 * under the local runtime's edge, ACME with acme-client, the platform's local CA). Private keys
 * never cross this port: callers see issuers, dates and states only.
 */
import type { CertificateSource } from '../domain/tls.js';

export type CertificateStatus = 'valid' | 'pending' | 'failed' | 'expired';

export interface CertificateInfo {
  /** The host name (a routed name; `_default` is the certificate of handshakes without SNI). */
  name: string;
  source: CertificateSource | null;
  status: CertificateStatus;
  issuer: string | null;
  serialNumber: string | null;
  notBefore: string | null;
  notAfter: string | null;
  /** When the platform renews it (two thirds of its lifetime); null for manual certificates. */
  renewAt: string | null;
  /** The last failed issuance, until one succeeds. */
  lastError: string | null;
  nextAttemptAt: string | null;
}

export interface ManualCertificate {
  /** PEM: the certificate, then its intermediates. */
  certificate: string;
  /** PEM: the unencrypted private key. */
  privateKey: string;
}

export interface Certificates {
  /** Every routed host name and the default certificate, sorted by name. */
  list(): Promise<CertificateInfo[]>;
  /** Issues `name`'s certificate again now. Throws CERTIFICATE_NOT_FOUND, TLS_DISABLED, CERTIFICATE_ISSUANCE_FAILED. */
  renew(name: string): Promise<CertificateInfo>;
  /** Installs an operator's certificate for `name` after validating it (TLS_* codes); it is never auto-renewed. */
  install(name: string, input: ManualCertificate): Promise<CertificateInfo>;
  /** The local CA's certificate (PEM), for browsers to trust. */
  caCertificate(): Promise<string>;
}
