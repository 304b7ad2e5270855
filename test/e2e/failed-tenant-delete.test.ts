/**
 * A hard delete of a tenant the real runtime reported FAILED (unhealthy) on the whole platform:
 * the operation SUCCEEDS, and nothing of the tenant is left — no files, Unix user, database or
 * database user, secrets, php-fpm pool, edge route or suspension.
 */
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/adapters/runtime/local/local-runtime.js';
import { buildLocalEcsEvent } from '../../src/adapters/runtime/local/events.js';
import { lookupUser } from '../../src/adapters/runtime/local/unix-users.js';
import { names } from '../../src/domain/naming.js';
import { startLocalPlatform, type LocalPlatform } from '../support/platform-local-harness.js';

describe('hard delete of a FAILED tenant (end to end)', () => {
  let p: LocalPlatform;
  const T = 'wrecked';
  beforeAll(async () => {
    p = await startLocalPlatform();
    const created = await p.api('POST', '/v1.0/tenants', { tenantName: T });
    expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('SUCCEEDS and leaves nothing of the tenant behind', async () => {
    const runtime = p.platform.runtime as LocalRuntime;
    const unixUser = runtime.tenantUser(T);
    const paths = runtime.tenantPaths(T);
    const impaired = buildLocalEcsEvent({ env: 'dev', tenantId: T, eventName: 'SERVICE_TASK_START_IMPAIRED', desiredCount: 1, runningCount: 0, reason: 'health check failed 3 times' });
    expect((await p.api('POST', '/v1.0/events/ecs', impaired)).body).toMatchObject({ status: 'success', provisioningState: 'FAILED' });

    const del = await p.api('DELETE', `/v1.0/tenants/${T}?mode=hard`);
    expect(del.status).toBe(202);
    const op = await p.waitForOperation(del.body.operationId);
    expect({ status: op.status, error: op.error }).toEqual({ status: 'SUCCEEDED', error: null });
    expect((await p.api('GET', `/v1.0/tenants/${T}/instance`)).body.provisioningState).toBe('DEPROVISIONED');

    expect(existsSync(paths.dir)).toBe(false);
    if (unixUser) expect(await lookupUser(unixUser)).toBeUndefined();
    const dbs = await runtime.database.sql(`SELECT schema_name FROM information_schema.schemata WHERE schema_name = '${names.databaseName(T)}'`);
    expect(dbs.trim()).toBe('');
    const users = await runtime.database.sql(`SELECT user FROM mysql.user WHERE user = '${names.databaseUser(T)}'`);
    expect(users.trim()).toBe('');
    expect((await p.platform.deps.secrets.list(`dev-${T}-`))).toEqual([]);
    expect(await runtime.phpFpm.getPool(names.serviceName('dev', T))).toBeUndefined();
    const edgeFiles = [runtime.layout.edgeRoutes, runtime.layout.edgeSockets, runtime.layout.edgeSuspended].flatMap((d) => readdirSync(d)).filter((n) => n.includes(T));
    expect(edgeFiles).toEqual([]);
    expect((await p.edge(`${T}.wpdev.localhost`)).status).toBe(404);
  }, 120_000);
});
