/**
 * A full disk, for real: the data dir lives on a small tmpfs (mounted here, root only) that a
 * filler file fills up. The API answers 507 INSUFFICIENT_STORAGE and changes nothing, a failed
 * secret write leaves no temp file, stale temp files are removed at start, and /health reports
 * the low headroom.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenAuthority, loadOrCreateSigningKey } from '../../src/adapters/auth/jwt.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { mapError } from '../../src/http/error-mapper.js';
import { parseConfig } from '../../src/main/config.js';
import { createLogger } from '../../src/main/logger.js';
import { startPlatform, type RunningPlatform } from '../../src/main/platform.js';
import { createScriptedRuntime } from '../support/scripted-runtime.js';

const isRoot = process.getuid?.() === 0;
const mountPoint = mkdtempSync(join(tmpdir(), 'bbws-fulldisk-'));
const dataDir = join(mountPoint, 'data');
const filler = join(mountPoint, 'filler');
let platform: RunningPlatform | undefined;
let token = '';

/** Writes `file` until the file system says ENOSPC. */
function fillUp(file: string): void {
  const fd = openSync(file, 'a');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  // The last partial page too.
  const fd2 = openSync(file, 'a');
  try {
    for (;;) writeSync(fd2, Buffer.alloc(512, 1));
  } catch {
    /* full */
  } finally {
    closeSync(fd2);
  }
}

async function start(): Promise<RunningPlatform> {
  return startPlatform({
    config: parseConfig({ dataDir, apiPort: 0, edgePort: 0 }, { BBWS_RATE_LIMIT: '0' }),
    roles: ['api', 'worker', 'events', 'reconciler'],
    logger: createLogger({ level: 'info', stdout: false }),
    createRuntime: async ({ emit }) => createScriptedRuntime(emit),
  });
}

const api = (method: string, path: string, body?: unknown) =>
  fetch(platform!.apiUrl + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

beforeAll(() => {
  if (isRoot) execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0755', 'tmpfs', mountPoint]);
});
afterAll(async () => {
  await platform?.stop().catch(() => undefined);
  if (isRoot) execFileSync('umount', ['-l', mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('a full disk', () => {
  it('answers 507 INSUFFICIENT_STORAGE, leaves no temp files, and /health says the headroom is low', async () => {
    mkdirSync(dataDir);
    // A temp file that a crashed run left in secrets/, old enough not to be a write in progress.
    mkdirSync(join(dataDir, 'secrets'), { mode: 0o700 });
    const stale = join(dataDir, 'secrets', 'dev-x-db-credentials.secret.0a0b0c0d.tmp');
    writeFileSync(stale, '{');
    utimesSync(stale, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));

    platform = await start();
    token = await createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key'))).sign({ role: 'platform-admin' }, 3600);
    const health0 = (await fetch(`${platform.apiUrl}/health`).then((r) => r.json())) as any;
    // 24 MiB is below the 512 MiB floor: degraded even before it is full, and says how much is left.
    expect(health0.components.find((c: any) => c.name === 'disk')).toMatchObject({ status: 'degraded', detail: expect.stringMatching(/MiB free \(\d+\.\d %\)/) });

    fillUp(filler);
    const created = await api('POST', '/v1.0/tenants', { tenantName: 'nospace' });
    expect(created.status).toBe(507);
    expect(created.body.error).toMatchObject({ code: 'INSUFFICIENT_STORAGE', correlationId: expect.any(String) });
    expect((await api('GET', '/v1.0/tenants/nospace')).status).toBe(404);
    const health = (await fetch(`${platform.apiUrl}/health`).then((r) => r.json())) as any;
    expect(health.status).not.toBe('ok');
    expect(health.components.find((c: any) => c.name === 'disk').detail).toMatch(/^0 MiB free/);

    // A secret write that fails for want of space leaves no partial temp file behind.
    const secrets = createLocalSecrets({ dir: join(dataDir, 'secrets') });
    const err = await secrets.put('dev-nospace-wp-salts', 'x'.repeat(256 * 1024)).then(() => null, (e) => e);
    expect(err?.code).toBe('ENOSPC');
    expect(mapError(err)).toMatchObject({ status: 507, code: 'INSUFFICIENT_STORAGE', unexpected: false });
    expect(readdirSync(join(dataDir, 'secrets')).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    // Space freed: the same request works.
    rmSync(filler);
    const again = await api('POST', '/v1.0/tenants', { tenantName: 'nospace' });
    expect(again.status).toBe(202);
  });
});
