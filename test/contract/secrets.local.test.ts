/** Runs the Secrets contract against the local adapter (AES-256-GCM files in a temp dir). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { describeSecretsContract } from './secrets.contract.js';

describeSecretsContract('local', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bbws-secrets-'));
  return { secrets: createLocalSecrets({ dir }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});
