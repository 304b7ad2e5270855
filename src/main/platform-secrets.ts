/**
 * Where the platform keeps its secrets and its JWT signing key (`--secrets` / BBWS_SECRETS):
 * - `local` (the default): the data dir's encrypted store (`secrets/`) and `jwt.key` (mode 0600);
 * - `secretsmanager`: AWS Secrets Manager, the secrets under seed 003's names and the signing key as
 *   the secret `<env>-bbws-jwt-signing-key` (created on first use), so that every Lambda instance
 *   and `bbws token create` sign and verify with the same key.
 * The paging tokens' HMAC key derives from the signing key too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadOrCreateSigningKey } from '../adapters/auth/jwt-sign.js';
import { createLocalSecrets } from '../adapters/secrets/local.js';
import type { Secrets } from '../ports/secrets.js';
import type { StateSettings } from './state-settings.js';

export interface PlatformSecrets {
  secrets: Secrets;
  /** The JWT signing key (at least 32 bytes), read once. */
  signingKey(): Promise<Uint8Array>;
}

export const signingKeySecretName = (env: string) => `${env}-bbws-jwt-signing-key`;

/** The key that signs the DynamoDB store's paging tokens, derived from the signing key. */
export const pagingTokenSecret = (signingKey: Uint8Array) => createHash('sha256').update('bbws paging tokens\0').update(signingKey).digest();

export async function openPlatformSecrets(settings: Pick<StateSettings, 'secrets' | 'region' | 'endpoints'> | undefined, config: { dataDir: string; env: string }): Promise<PlatformSecrets> {
  if (settings?.secrets !== 'secretsmanager') {
    let key: Uint8Array | undefined;
    return {
      secrets: createLocalSecrets({ dir: join(config.dataDir, 'secrets') }),
      signingKey: async () => (key ??= loadOrCreateSigningKey(join(config.dataDir, 'jwt.key'))),
    };
  }
  // Loaded only when asked for: the AWS SDK stays out of an embedded start.
  const [{ SecretsManagerClient }, { createSecretsManagerSecrets, getOrCreateSecret }] = await Promise.all([
    import('@aws-sdk/client-secrets-manager'),
    import('../adapters/aws/secrets-manager.js'),
  ]);
  const client = new SecretsManagerClient({ region: settings.region, endpoint: settings.endpoints.secrets });
  let key: Promise<Uint8Array> | undefined;
  const read = async () => {
    const stored = Buffer.from(await getOrCreateSecret(client, signingKeySecretName(config.env), () => randomBytes(32).toString('base64')), 'base64');
    if (stored.length < 32) throw new Error(`the secret ${signingKeySecretName(config.env)} holds fewer than 32 bytes of key (base64); put a new one (existing tokens stop working)`);
    return stored;
  };
  return {
    secrets: createSecretsManagerSecrets({ client }),
    signingKey: () => {
      key ??= read();
      key.catch(() => (key = undefined));
      return key;
    },
  };
}
