/**
 * Certificates from an ACME CA (Let's Encrypt, or Pebble in tests) with the acme-client package:
 * account, order, HTTP-01 challenge answered by the edge itself (a file in `acme-challenge/`
 * that nginx serves on the HTTP port), finalize, download. One ECDSA P-256 key per certificate.
 * The account key is a platform secret (secret store, encrypted at rest).
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import * as acme from 'acme-client';
import type { Secrets } from '../../ports/secrets.js';
import type { EdgeFiles } from './edge-files.js';
import type { PemPair } from './local-ca.js';

export interface AcmeIssuerOptions {
  directoryUrl: string;
  email: string | null;
  /** PEM bundle trusted for the directory's HTTPS (Pebble's test CA); null: the system's. */
  caFile: string | null;
  secrets: Secrets;
  accountSecretName: string;
  files: EdgeFiles;
  /** Retries of a request that failed on the network or with a 5xx (acme-client's default: 5, waiting 5, 10, … 25 s). */
  retries?: number;
}

export interface AcmeIssuer {
  issue(name: string): Promise<PemPair>;
  /** Revokes a certificate this account was issued (RFC 8555 §7.6, reason cessationOfOperation). */
  revoke(certificatePem: string): Promise<void>;
}

export function createAcmeIssuer(o: AcmeIssuerOptions): AcmeIssuer {
  // acme-client talks through its own axios instance: trust the test CA there, not process-wide.
  if (o.caFile) acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(o.caFile), keepAlive: true });
  // acme-client's own retry settings (src/axios.js), not in its typings.
  if (o.retries !== undefined) (acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } }).acmeSettings.retryMaxAttempts = o.retries;
  // A CA that accepts the connection and never answers must not hold the sweep (and every other name) forever.
  acme.axios.defaults.timeout = 30_000;
  let client: Promise<acme.Client> | null = null;
  const clientFor = () =>
    (client ??= (async () => {
      let accountKey = await o.secrets.get(o.accountSecretName);
      if (!accountKey) {
        accountKey = (await acme.crypto.createPrivateEcdsaKey()).toString();
        await o.secrets.put(o.accountSecretName, accountKey);
      }
      // Status polls (challenge, order) start at 250 ms instead of acme-client's 5 s: a CA validates
      // in well under a second when the edge answers, and the first poll usually comes too early.
      // Doubling to 10 s keeps a slow CA's polls polite: 12 attempts are about a minute.
      return new acme.Client({ directoryUrl: o.directoryUrl, accountKey, backoffMin: 250, backoffMax: 10_000, backoffAttempts: 12 });
    })().catch((err) => {
      client = null;
      throw err;
    }));
  return {
    async issue(name) {
      const c = await clientFor();
      const [key, csr] = await acme.crypto.createCsr({ commonName: name, altNames: [name] }, await acme.crypto.createPrivateEcdsaKey());
      const certificatePem = await c.auto({
        csr,
        email: o.email ?? undefined,
        termsOfServiceAgreed: true,
        challengePriority: ['http-01'],
        // acme-client would fetch the challenge itself first, through this host's resolver and
        // port 80: the CA's own check is the one that counts.
        skipChallengeVerification: true,
        challengeCreateFn: async (_authz, challenge, keyAuthorization) => o.files.writeChallenge(challenge.token, keyAuthorization),
        challengeRemoveFn: async (_authz, challenge) => o.files.removeChallenge(challenge.token),
      });
      return { certificatePem, keyPem: key.toString() };
    },
    async revoke(certificatePem) {
      const c = await clientFor();
      // After a restart the client knows the key, not the account URL: newAccount with the same key returns it.
      await c.createAccount({ termsOfServiceAgreed: true, ...(o.email ? { contact: [`mailto:${o.email}`] } : {}) });
      await c.revokeCertificate(certificatePem, { reason: 5 });
    },
  };
}
