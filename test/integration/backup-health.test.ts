/**
 * A green /health has a backup behind it (issue 13): the `backups` component of a running platform
 * (real SQLite store, the file backup catalog, real HTTP) turns degraded, naming the tenant and the
 * backup, when the latest verification of an ACTIVE tenant's backups failed, and ok again once a
 * later one is verified; the gauge the `bbws-wp-backup-problem` alarm reads counts the tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogDir } from '../../src/adapters/backup/backup-paths.js';
import { createFileBackupCatalog } from '../../src/adapters/backup/file-catalog.js';
import { createPrometheusMetrics } from '../../src/adapters/metrics/prometheus.js';
import { listBackupProblems } from '../../src/app/backups/backup-health.js';
import type { BackupDeps } from '../../src/app/backups/backup-deps.js';
import { DEFAULT_ALARMS } from '../../src/domain/alarms.js';
import type { Verification } from '../../src/domain/backup.js';
import { refreshAlarmGauges } from '../../src/main/alarm-gauges.js';
import { backupRecord } from '../support/backup-records.js';
import { startHarness, type Harness } from '../support/platform-harness.js';

const TENANT = 'healthbk';

const record = (createdAt: string, verification: Verification) => backupRecord({ tenantId: TENANT, createdAt, verification });

describe('/health backups component', () => {
  let h: Harness;
  const backupsComponent = async () => {
    const res = await fetch(`${h.apiUrl}/health`);
    const body = (await res.json()) as { components: Array<{ name: string; status: string; detail: string }> };
    return body.components.find((c) => c.name === 'backups');
  };

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.stop());

  it('is degraded while the latest verification failed, names it, and counts the tenant for the alarm', async () => {
    const created = await h.request('POST', '/v1.0/tenants', { body: { tenantName: TENANT } });
    expect(created.status).toBe(202);
    expect((await h.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
    expect(await backupsComponent()).toMatchObject({ status: 'ok' });

    const catalog = createFileBackupCatalog({ dir: catalogDir(h.dataDir) });
    const bad = record(new Date(Date.now() - 3_600_000).toISOString(), { status: 'FAILED', verifiedAt: new Date().toISOString(), error: 'file uploads/a.jpg: hash differs', durationMs: 800 });
    await catalog.put(bad);
    h.advanceClock(31_000); // past the 30 s /health keeps the check
    const degraded = await backupsComponent();
    expect(degraded).toMatchObject({ status: 'degraded' });
    expect(degraded!.detail).toContain('VERIFY_FAILED');
    expect(degraded!.detail).toContain(bad.backupId);
    expect(degraded!.detail).toContain('hash differs');

    const metrics = createPrometheusMetrics({ defaultMetrics: false });
    const deps = h.platform.deps as BackupDeps;
    await refreshAlarmGauges({ metrics, store: deps.store, now: deps.now, health: async () => [], diskFreePercent: async () => null, backupProblemTenants: async () => (await listBackupProblems(deps)).length });
    const alarm = DEFAULT_ALARMS.find((a) => a.name === 'bbws-wp-backup-problem')!;
    expect(alarm.metric).toMatchObject({ kind: 'gauge', gauge: { name: 'bbws_backup_problem_tenants' } });
    expect(await metrics.render()).toMatch(/^bbws_backup_problem_tenants 1$/m);

    // A later backup, verified: sound again.
    await catalog.put(record(new Date().toISOString(), { status: 'VERIFIED', verifiedAt: new Date(Date.now() + 1000).toISOString(), error: null, durationMs: 700 }));
    h.advanceClock(31_000);
    expect(await backupsComponent()).toMatchObject({ status: 'ok' });
  });
});
