/**
 * An operator's certificate (`bbws certs set`) is checked before the edge serves it, with the
 * production validator and real certificates from a throwaway CA: each problem has its code, and
 * only re-encoded certificates and one key reach the edge's file.
 */
import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCaMaterial, loadLocalCa, type PemPair } from '../../src/adapters/tls/local-ca.js';
import { validateCertificateBundle } from '../../src/adapters/tls/validate-certificate.js';
import { BbwsError, type ErrorCode } from '../../src/domain/errors.js';

function expectCode(fn: () => unknown, code: ErrorCode): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(BbwsError);
  expect((caught as BbwsError).code).toBe(code);
}

describe('validateCertificateBundle', () => {
  let caPem: string;
  let leaf: PemPair;
  const now = new Date();
  const leafOnly = () => leaf.certificatePem.split(/(?<=-----END CERTIFICATE-----)/)[0]!;

  beforeAll(async () => {
    const material = await createCaMaterial('operator test CA', now);
    caPem = material.certificatePem;
    leaf = await (await loadLocalCa(material)).issue(['shop.example.com'], now);
  });

  it('accepts a chain that ends at a trusted root, and writes only certificates and the key', () => {
    const hostile = `include /etc/shadow;\n${leaf.certificatePem}\nssl_certificate /etc/shadow;\n`;
    const bundle = validateCertificateBundle('shop.example.com', hostile, leaf.keyPem, now, [caPem]);
    expect(bundle.chain).toHaveLength(2);
    expect(bundle.pem).not.toMatch(/shadow|include/);
    expect(bundle.pem.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
    expect(bundle.pem).toMatch(/-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----\n$/);
  });

  it('refuses each problem with its own code', () => {
    expectCode(() => validateCertificateBundle('shop.example.com', 'not a certificate', leaf.keyPem, now, [caPem]), 'TLS_CERTIFICATE_INVALID');
    expectCode(() => validateCertificateBundle('shop.example.com', leaf.certificatePem, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', now, [caPem]), 'TLS_KEY_INVALID');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expectCode(() => validateCertificateBundle('shop.example.com', leaf.certificatePem, other, now, [caPem]), 'TLS_KEY_MISMATCH');
    expectCode(() => validateCertificateBundle('other.example.com', leaf.certificatePem, leaf.keyPem, now, [caPem]), 'TLS_NAME_MISMATCH');
    expectCode(() => validateCertificateBundle('shop.example.com', leaf.certificatePem, leaf.keyPem, new Date(now.getTime() + 200 * 86_400_000), [caPem]), 'TLS_CERTIFICATE_EXPIRED');
    // The leaf alone, its CA unknown: the chain does not end at a root.
    expectCode(() => validateCertificateBundle('shop.example.com', leafOnly(), leaf.keyPem, now), 'TLS_CHAIN_INVALID');
    // Out of order: the CA first.
    expectCode(() => validateCertificateBundle('shop.example.com', `${caPem}\n${leafOnly()}`, leaf.keyPem, now, [caPem]), 'TLS_KEY_MISMATCH');
  });
});
