/**
 * Show-once means once: a site's admin password is in the first answer only. The idempotency
 * record that replays the answer, and every other file of the data dir (state.db, its -wal,
 * the log), never holds it in clear.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesContaining } from '../support/files-containing.js';
import { startHarness, type Harness } from '../support/platform-harness.js';

describe('secrets never reach the state database or the log', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const created = await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'keeper' } });
    expect((await h.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('an Idempotency-Key replay of POST …/sites answers the same site without the password, and no file holds it', async () => {
    const body = { siteName: 'vault', title: 'Vault', adminEmail: 'owner@example.com' };
    const headers = { 'idempotency-key': 'create-vault-1', 'x-correlation-id': 'secrets-at-rest-1' };
    const first = await h.request('POST', '/v1.0/tenants/keeper/sites', { body, headers });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    const password: string = first.body.adminPassword;
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(first.body.adminPasswordShown).toBeUndefined();

    const replay = await h.request('POST', '/v1.0/tenants/keeper/sites', { body, headers: { ...headers, 'x-correlation-id': 'secrets-at-rest-2' } });
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual({ ...first.body, adminPassword: null, adminPasswordShown: true });

    // The log has both requests' lines (so it has been written), and no password.
    const log = join(h.dataDir, 'logs', 'bbws.jsonl');
    await h.waitFor('both request lines in the log', async () => readFileSync(log, 'utf8').includes('secrets-at-rest-2'));
    expect(filesContaining(h.dataDir, password)).toEqual([]);
  });
});
