/**
 * The platform's local certificate authority, as mkcert makes one: a self-signed CA (ECDSA P-256,
 * 10 years) that signs leaf certificates for local names (`*.localhost` and other special-use
 * names no public CA issues for). `bbws certs ca` prints its certificate so a browser can trust
 * it. Certificates are built with @peculiar/x509 (the X.509 library acme-client itself uses) on
 * Node's WebCrypto: no hand-written ASN.1.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** A name that is an IPv4 address gets an IP subjectAltName (a loopback service's own certificate). */
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export interface PemPair {
  certificatePem: string;
  keyPem: string;
}

export interface LocalCa {
  readonly certificatePem: string;
  /** A leaf certificate for `names` (DNS names or IPv4 addresses; the first is the subject), valid `days` from `now`. */
  issue(names: string[], now: Date, days?: number): Promise<PemPair>;
}

function keyToPem(der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

function pemToDer(pem: string): ArrayBuffer {
  const b64 = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  const buf = Buffer.from(b64, 'base64');
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

/** A positive 128-bit serial number (RFC 5280: at most 20 octets, positive). */
const serial = () => `01${randomBytes(15).toString('hex')}`;

const generateKeys = () => webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;

/** A new CA named `commonName`, valid 10 years from `now`. */
export async function createCaMaterial(commonName: string, now: Date): Promise<PemPair> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}, O=BBWS local CA`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 3650 * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificatePem: cert.toString('pem') + '\n', keyPem: keyToPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

export async function loadLocalCa(material: PemPair): Promise<LocalCa> {
  const caCert = new x509.X509Certificate(material.certificatePem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', pemToDer(material.keyPem), ALGORITHM, false, ['sign']);
  return {
    certificatePem: material.certificatePem,
    async issue(names, now, days = 90) {
      const keys = await generateKeys();
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${names[0]}`,
        issuer: caCert.subject,
        notBefore: new Date(now.getTime() - 60_000),
        notAfter: new Date(now.getTime() + days * DAY_MS),
        signingAlgorithm: ALGORITHM,
        publicKey: keys.publicKey,
        signingKey: caKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension(names.map((n) => (IPV4.test(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }))),
          await x509.AuthorityKeyIdentifierExtension.create(caCert),
        ],
      });
      return { certificatePem: `${cert.toString('pem')}\n${material.certificatePem}`, keyPem: keyToPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
    },
  };
}
