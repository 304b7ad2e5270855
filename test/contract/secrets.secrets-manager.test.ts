/** The Secrets contract on the Secrets Manager adapter, against a FAKE of the service (no emulator reachable here). */
import { createSecretsManagerSecrets } from '../../src/adapters/aws/secrets-manager.js';
import { createFakeSecretsManager } from '../support/fake-secrets-manager.js';
import { describeSecretsContract } from './secrets.contract.js';

describeSecretsContract('Secrets Manager (fake service)', async () => {
  const fake = createFakeSecretsManager();
  return { secrets: createSecretsManagerSecrets({ client: fake.client }), cleanup: async () => fake.restore() };
});
