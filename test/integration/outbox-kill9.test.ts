/**
 * A notification is committed with the state change that causes it (the outbox), so a process
 * killed right after an operation ends still gets its webhook out. Before the outbox, the site
 * processor finished the operation and then published: a kill -9 between the two lost the
 * webhook for good, because the redelivered message found the operation finished and returned.
 *
 * The child (outbox-child.ts) ends a real DELETE_SITE operation and SIGKILLs itself as soon as the
 * use case returns; this test then checks what it left and starts the platform on the same data
 * dir, which must deliver the notification exactly once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { relayOutbox } from '../../src/app/relay-outbox.js';
import { openSqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { createSqliteStore } from '../../src/adapters/store/sqlite.js';
import { queueDefinitions } from '../../src/domain/queues.js';
import { parseConfig } from '../../src/main/config.js';
import { createLogger } from '../../src/main/logger.js';
import { startPlatform, type RunningPlatform } from '../../src/main/platform.js';
import { pollUntil } from '../support/poll.js';

const childScript = fileURLToPath(new URL('../support/outbox-child.ts', import.meta.url));

describe('outbox: kill -9 after an operation ends', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('loses no notification: the restarted platform delivers it once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bbws-outbox-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const received: Array<{ id: string; type: string; siteId: string }> = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => receiver.close(() => r())));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    const child = spawn(process.execPath, ['--import', 'tsx', childScript, dataDir, receiverUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect(out).toContain('FINISHED SUCCEEDED');
    expect(signal).toBe('SIGKILL');

    // What the killed process left: the operation and the site ended, the notification in the
    // outbox, no delivery made yet.
    const db = openSqliteDatabase(join(dataDir, 'state.db'));
    const store = createSqliteStore({ db, queueDefinitions: queueDefinitions('dev') });
    expect((await store.getOperation('op-delete-1'))?.status).toBe('SUCCEEDED');
    expect((await store.getSite('acme', 'site000001'))?.status).toBe('DELETED');
    const pending = await store.listOutbox(10);
    expect(pending.map((n) => [n.type, n.siteId])).toEqual([['site.deleted', 'site000001']]);
    expect(received).toEqual([]);
    await store.close();
    db.close();

    const config = parseConfig({ dataDir, apiPort: 0, edgePort: 0 }, {});
    const platform: RunningPlatform = await startPlatform({ config, roles: [], logger: createLogger({ level: 'warn', dataDir, stdout: false }), outboxRelayIntervalMs: 50 });
    cleanups.push(() => platform.stop());
    await pollUntil('the site.deleted webhook', async () => received.length > 0, 10_000);
    expect(received.map((r) => [r.id, r.type, r.siteId])).toEqual([[pending[0].notificationId, 'site.deleted', 'site000001']]);
    await pollUntil('the outbox to be empty', async () => (await platform.deps.store.listOutbox(10)).length === 0, 5_000);
    // Relayed once: one delivery recorded, and another pass finds nothing to publish.
    expect(await platform.deps.webhooks.listDeliveries({ limit: 10 })).toHaveLength(1);
    expect(await relayOutbox(platform.deps)).toBe(0);
  });
});
