/** Runs the Notifier and WebhookSubscriptions contract against the webhook adapter on a SQLite file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrometheusMetrics } from '../../src/adapters/metrics/prometheus.js';
import { createWebhookNotifier } from '../../src/adapters/notifier/webhooks.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { openSqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { silentLogger } from '../support/local-runtime-harness.js';
import { describeNotifierContract } from './notifier.contract.js';

describeNotifierContract('webhooks (sqlite)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-notifier-'));
  const db = openSqliteDatabase(join(dir, 'bbws.db'));
  const adapter = createWebhookNotifier({
    db,
    logger: silentLogger(),
    metrics: createPrometheusMetrics({ defaultMetrics: false }),
    topic: 'bbws-wp-notifications-dev',
    secrets: createLocalSecrets({ dir: join(dir, 'secrets') }),
    pollIntervalMs: 50,
  });
  return {
    notifier: adapter,
    webhooks: adapter,
    cleanup: async () => {
      try {
        await adapter.close();
        db.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
});
