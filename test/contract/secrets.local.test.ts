/** The Secrets contract on the local encrypted secret store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { describeSecretsContract } from './secrets.contract.js';

describeSecretsContract('local (AES-256-GCM files)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-secrets-'));
  return { secrets: createLocalSecrets({ dir: join(dir, 'secrets') }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});
