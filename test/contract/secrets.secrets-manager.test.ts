/** The Secrets contract on the Secrets Manager adapter, against a FAKE of the service (no emulator reachable here). */
import { describe, expect, it } from 'vitest';
import { createSecretsManagerSecrets, getOrCreateSecret } from '../../src/adapters/aws/secrets-manager.js';
import { createFakeSecretsManager } from '../support/fake-secrets-manager.js';
import { describeSecretsContract } from './secrets.contract.js';

describeSecretsContract('Secrets Manager (fake service)', async () => {
  const fake = createFakeSecretsManager();
  return { secrets: createSecretsManagerSecrets({ client: fake.client }), cleanup: async () => fake.restore() };
});

describe('getOrCreateSecret (fake service)', () => {
  it('creates the secret once: callers starting together all get the winner\'s value, later ones read it', async () => {
    const fake = createFakeSecretsManager();
    try {
      let made = 0;
      const make = () => `value-${++made}`;
      const values = await Promise.all([1, 2, 3, 4].map(() => getOrCreateSecret(fake.client, 'dev-bbws-jwt-signing-key', make)));
      expect(new Set(values).size).toBe(1);
      expect(fake.stored.get('dev-bbws-jwt-signing-key')).toBe(values[0]);
      expect(await getOrCreateSecret(fake.client, 'dev-bbws-jwt-signing-key', () => 'never')).toBe(values[0]);
      await expect(getOrCreateSecret(fake.client, '../etc/passwd', make)).rejects.toThrow(/invalid secret name/);
    } finally {
      fake.restore();
    }
  });
});
