/**
 * Child process of the outbox kill -9 test: on the parent's data dir, subscribes the parent's
 * receiver, then carries out a real DELETE_SITE operation (app/sites/run-site-operation.ts) and
 * SIGKILLs itself the moment the use case returns — after the commit that ends the operation,
 * before any outbox relay pass could publish its notification.
 *
 * The site's data plane is not running here: the WordPress port is a stand-in with nothing to
 * remove (the two methods DELETE_SITE calls), named as such. Everything else is the real platform.
 */
import { runSiteOperation } from '../../src/app/sites/run-site-operation.js';
import { parseConfig } from '../../src/main/config.js';
import { createLogger } from '../../src/main/logger.js';
import { startPlatform } from '../../src/main/platform.js';
import type { WordPress } from '../../src/ports/wordpress.js';
import { makeInstance, makeOperation, makeSite, makeTenant } from './store-records.js';

const [dataDir, receiverUrl] = process.argv.slice(2) as [string, string];
const config = parseConfig({ dataDir, apiPort: 0, edgePort: 0 }, {});
// No role: only the outbox relay loop runs, and its first pass (on an empty outbox) is over
// before the operation starts; the next one is an hour away.
const platform = await startPlatform({ config, roles: [], logger: createLogger({ level: 'warn', dataDir, stdout: false }), outboxRelayIntervalMs: 3_600_000 });
const { deps } = platform;
const nothingToRemove = { unrouteSite: async () => undefined, removeSite: async () => undefined } as unknown as WordPress;
deps.wordpress = nothingToRemove;

await deps.webhooks.addWebhook({ url: receiverUrl });
await deps.store.commit([
  { kind: 'putTenant', tenant: makeTenant('acme'), expectedVersion: null },
  { kind: 'putInstance', instance: makeInstance('acme', { provisioningState: 'ACTIVE' }), expectedVersion: null },
  { kind: 'putSite', site: makeSite('acme', 'site000001', { status: 'DELETING' }), expectedVersion: null },
  { kind: 'putOperation', operation: makeOperation('op-delete-1', 'acme', { type: 'DELETE_SITE', status: 'IN_PROGRESS', input: { siteId: 'site000001' }, deadlineAt: '2999-01-01T00:00:00.000Z' }), expectedVersion: null },
]);
const op = await runSiteOperation(deps, 'op-delete-1');
process.stdout.write(`FINISHED ${op?.status}\n`);
process.kill(process.pid, 'SIGKILL');
