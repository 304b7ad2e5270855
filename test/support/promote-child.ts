/**
 * Child process of the promote kill -9 test: runs the real promote (backup first) of one site
 * over another of a tenant that the parent's runtime provisioned, prints `AT <step>` when it
 * reaches the step it was told to stop at, and waits there to be killed.
 *
 * The parent hands over what its local runtime knows of the tenant (paths, owner, env, edge
 * port) as JSON: a second runtime on the same data dir would stop the parent's servers.
 */
import type { WordPressHost } from '../../src/adapters/runtime/local/local-runtime.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { createTenantAccess } from '../../src/adapters/wordpress/local/create-tenant-access.js';
import { promoteWithBackup } from '../../src/adapters/wordpress/local/promote.js';

const input = JSON.parse(process.argv[2]!);
const facts = {
  config: { env: input.env, edgePort: input.edgePort },
  tenantPaths: () => input.paths,
  tenantOwner: async () => input.owner,
} as unknown as WordPressHost;
const access = await createTenantAccess(facts, createLocalSecrets({ dir: input.secretsDir }), input.tenantId);
await promoteWithBackup(access, input.from, input.to, input.scope, input.urls, {
  onStep: (step) => {
    if (step !== input.killAt) return;
    process.stdout.write(`AT ${step}\n`);
    return new Promise<void>(() => undefined);
  },
});
process.stdout.write('DONE\n');
process.exit(0);
