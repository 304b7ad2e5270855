/**
 * Checks an operator's certificate before the edge serves it (manual mode, `bbws certs set`):
 * PEM X.509 chain, an unencrypted private key that belongs to the leaf, dates, the host name, and
 * a chain that links each certificate to the next and ends at a root (self-signed, one of Node's
 * bundled roots, or the platform's local CA). Parsing and signature checks are Node's own
 * (`X509Certificate`, `createPrivateKey`, OpenSSL underneath). What is written for nginx is
 * re-encoded from the parsed objects, so nothing but certificates and one key reaches the file.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { BbwsError } from '../../domain/errors.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export interface ValidatedBundle {
  chain: X509Certificate[];
  /** chain then key, PEM, for the edge's `<name>.pem`. */
  pem: string;
}

function parseChain(text: string): X509Certificate[] {
  const blocks = typeof text === 'string' ? text.match(PEM_CERT) ?? [] : [];
  if (blocks.length === 0 || blocks.length > 10) throw new BbwsError('TLS_CERTIFICATE_INVALID', undefined, { found: blocks.length });
  return blocks.map((b, index) => {
    try {
      return new X509Certificate(b);
    } catch {
      throw new BbwsError('TLS_CERTIFICATE_INVALID', `Certificate ${index} of the chain is not valid X.509.`, { index });
    }
  });
}

function parseKey(text: string): KeyObject {
  if (typeof text !== 'string' || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) || /ENCRYPTED/.test(text)) throw new BbwsError('TLS_KEY_INVALID');
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch {
    // Never echo the key (or OpenSSL's words about it) back.
    throw new BbwsError('TLS_KEY_INVALID');
  }
}

let roots: X509Certificate[] | null = null;
const bundledRoots = () => (roots ??= rootCertificates.map((pem) => new X509Certificate(pem)));

const signedBy = (cert: X509Certificate, issuer: X509Certificate) => cert.checkIssued(issuer) && cert.verify(issuer.publicKey);

/** Throws a TLS_* BbwsError for the first problem found; `extraRoots`: the local CA. */
export function validateCertificateBundle(name: string, certificate: string, privateKey: string, now: Date, extraRoots: string[] = []): ValidatedBundle {
  const chain = parseChain(certificate);
  const key = parseKey(privateKey);
  const leaf = chain[0]!;
  if (!leaf.checkPrivateKey(key)) throw new BbwsError('TLS_KEY_MISMATCH');
  chain.forEach((c, index) => {
    if (now < new Date(c.validFrom) || now > new Date(c.validTo)) {
      throw new BbwsError('TLS_CERTIFICATE_EXPIRED', undefined, { index, notBefore: new Date(c.validFrom).toISOString(), notAfter: new Date(c.validTo).toISOString() });
    }
  });
  if (leaf.checkHost(name) === undefined) throw new BbwsError('TLS_NAME_MISMATCH', undefined, { name, subjectAltName: leaf.subjectAltName ?? null });
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!signedBy(chain[i]!, chain[i + 1]!)) throw new BbwsError('TLS_CHAIN_INVALID', `Certificate ${i} is not signed by certificate ${i + 1}: put the chain in order, leaf first.`, { index: i });
  }
  const last = chain[chain.length - 1]!;
  const trusted = [...extraRoots.map((p) => new X509Certificate(p)), ...bundledRoots()];
  if (!signedBy(last, last) && !trusted.some((r) => signedBy(last, r))) {
    throw new BbwsError('TLS_CHAIN_INVALID', `Certificate ${chain.length - 1} is issued by "${last.issuer.replace(/\n/g, ', ')}", which is neither in the chain nor a known root: add the intermediates.`, { index: chain.length - 1 });
  }
  const keyPem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { chain, pem: `${chain.map((c) => c.toString().trim()).join('\n')}\n${keyPem}` };
}
