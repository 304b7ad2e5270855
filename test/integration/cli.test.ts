import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecsEvent } from '../support/scripted-runtime.js';
import { startHarness, type Harness } from '../support/platform-harness.js';

const exec = promisify(execFile);

describe('bbws CLI against a running platform (found from --data-dir)', () => {
  let h: Harness;
  const bbws = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', join(__dirname, '../support/cli-entry.ts'), ...args], { env: { ...process.env, BBWS_DATA_DIR: '' } });
      return { code: 0, stdout, stderr };
    } catch (err: any) {
      return { code: err.code as number, stdout: err.stdout as string, stderr: err.stderr as string };
    }
  };
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('token create prints a JWT and nothing else', async () => {
    const r = await bbws('token', 'create', '--role', 'tenant-admin', '--tenant', 'acme', '--ttl', '1h', '--data-dir', h.dataDir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    const me = await h.request('GET', '/v1.0/tenants', { token: r.stdout.trim() });
    expect(me.status).toBe(200);
    const bad = await bbws('token', 'create', '--role', 'tenant-admin', '--data-dir', h.dataDir);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--tenant/);
  });

  it('tenants create --wait follows the operation, list/get show it, --json is parseable', async () => {
    const created = await bbws('tenants', 'create', 'clitenant', '--wait', '--data-dir', h.dataDir);
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/SUCCEEDED\s+create-database/);
    expect(created.stdout).toMatch(/state\s+ACTIVE/);
    const list = await bbws('tenants', 'list', '--data-dir', h.dataDir);
    expect(list.stdout).toMatch(/^TENANT\s+STATE/);
    expect(list.stdout).toMatch(/clitenant\s+ACTIVE/);
    const json = JSON.parse((await bbws('tenants', 'get', 'clitenant', '--json', '--data-dir', h.dataDir)).stdout);
    expect(json.instance.provisioningState).toBe('ACTIVE');
    const opId = (await h.request('GET', '/v1.0/tenants/clitenant/operations')).body.items[0].operationId;
    const op = await bbws('operations', 'get', opId, '--data-dir', h.dataDir);
    expect(op.stdout).toMatch(/status\s+SUCCEEDED/);
    expect(op.stdout).toMatch(/await-runtime\s+SUCCEEDED/);
  });

  it('scale and delete --wait', async () => {
    expect((await bbws('tenants', 'scale', 'clitenant', '2', '--wait', '--data-dir', h.dataDir)).stdout).toMatch(/desired\s+2/);
    const del = await bbws('tenants', 'delete', 'clitenant', '--mode', 'hard', '--wait', '--json', '--data-dir', h.dataDir);
    expect(JSON.parse(del.stdout).tenant.instance.provisioningState).toBe('DEPROVISIONED');
  });

  it('queues stats, dlq list, events send', async () => {
    const stats = await bbws('queues', 'stats', '--data-dir', h.dataDir);
    expect(stats.stdout).toMatch(/bbws-wp-site-creation-dev\s+0/);
    expect(stats.stdout).toMatch(/bbws-ecs-events-dlq-dev/);
    expect((await bbws('dlq', 'list', 'bbws-ecs-events-dlq-dev', '--data-dir', h.dataDir)).stdout).toBe('(none)\n');
    await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'evtcli' } });
    const file = join(h.dataDir, 'event.json');
    writeFileSync(file, JSON.stringify(ecsEvent('dev', 'evtcli', 'SERVICE_DELETED', {}, new Date(Date.now() + 60_000))));
    const sent = await bbws('events', 'send', file, '--json', '--data-dir', h.dataDir);
    expect(JSON.parse(sent.stdout)).toMatchObject({ status: 'success', provisioningState: 'DEPROVISIONED' });
    const purge = await bbws('dlq', 'purge', 'bbws-ecs-events-dlq-dev', '--data-dir', h.dataDir);
    expect(purge.code).not.toBe(0);
    expect(purge.stderr).toMatch(/--yes/);
  });

  it('fails with a clear message and non-zero exit', async () => {
    const missing = await bbws('tenants', 'get', 'nosuch', '--data-dir', h.dataDir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404 TENANT_NOT_FOUND/);
    const noPlatform = await bbws('tenants', 'list', '--data-dir', join(h.dataDir, 'nowhere'));
    expect(noPlatform.code).toBe(1);
    expect(noPlatform.stderr).toMatch(/No running platform found .*`bbws up --data-dir/);
  });
});
