/**
 * The operator's passphrase as a key of the restic repository (restic-keys.ts), on a real restic
 * repository: the same passphrase reuses its key, a new one adds one, and a passphrase key that no
 * kept platform backup needs any more is removed at the next platform backup, so the keys do not
 * grow with every rotation. Never removed: the platform's own key, the passphrase in use, a key
 * someone added by hand, and a passphrase that a kept platform backup is wrapped under.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryDir, repositoryPasswordSecret } from '../../src/adapters/backup/backup-paths.js';
import { createFileBackupCatalog } from '../../src/adapters/backup/file-catalog.js';
import { createPlatformBackup, platformRepository } from '../../src/adapters/backup/platform-backup.js';
import { listKeys, opensRepository } from '../../src/adapters/backup/restic-keys.js';
import { spawnTied } from '../../src/adapters/backup/tied-spawn.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { silentLogger } from '../support/local-runtime-harness.js';

let dataDir: string;
const secrets = () => createLocalSecrets({ dir: join(dataDir, 'secrets') });
const catalog = () => createFileBackupCatalog({ dir: join(dataDir, 'backup-catalog') });
const backup = (passphrase: string) =>
  createPlatformBackup({ dataDir, env: 'dev', baseDomain: 'localhost', secrets: secrets(), catalog: catalog(), logger: silentLogger(), passphrase, passphraseKeyMinAgeMs: 0 });
const repo = () => repositoryDir(dataDir);
const password = async () => (await secrets().get(repositoryPasswordSecret('dev')))!;

/** `restic key add` by hand, as an operator might (another user name than bbws's). */
function addKeyByHand(newPassword: string): Promise<number | null> {
  return new Promise(async (resolve) => {
    const child = spawnTied('restic', ['--no-cache', 'key', 'add'], { env: { PATH: process.env.PATH!, HOME: '/root', RESTIC_REPOSITORY: repo(), RESTIC_PASSWORD: await password() } });
    child.stdout.resume();
    child.stderr.resume();
    child.stdin.end(`${newPassword}\n${newPassword}\n`);
    child.on('close', resolve);
  });
}

describe('passphrase keys of the backup repository', () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bbws-keys-'));
    const db = new Database(join(dataDir, 'state.db'));
    db.exec('CREATE TABLE tenants (id TEXT PRIMARY KEY); INSERT INTO tenants VALUES (1);');
    db.close();
    await secrets().put('dev-anything', 'x');
    await writeFile(join(dataDir, 'jwt.key'), 'jwt', { mode: 0o600 });
  });

  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('reuses, adds and removes passphrase keys so they stay bounded, and never locks the repository out', async () => {
    const count = async () => (await listKeys(repo(), await password())).length;
    const first = await backup('first passphrase 1');
    expect(await count()).toBe(2); // the platform's own key and the passphrase's
    await backup('first passphrase 1');
    expect(await count()).toBe(2); // the same passphrase: its key again
    expect(await addKeyByHand('an operator key 42')).toBe(0);
    const second = await backup('second passphrase 2');
    // The first passphrase stays: the first two platform backups are wrapped under it.
    expect(await count()).toBe(4);
    expect((await opensRepository(repo(), 'first passphrase 1')).ok).toBe(true);

    // Retention removed the backups of the first passphrase: the next backup removes its key.
    const { repo: restic } = platformRepository({ dataDir, env: 'dev', secrets: secrets() });
    for (const r of await catalog().list({ scope: 'platform' })) if (r.backupId !== second.backupId) {
      await restic.forgetSnapshots([r.snapshotId]);
      await catalog().delete(r.backupId);
    }
    expect(first.spec?.passphraseKeyId).toMatch(/^[0-9a-f]{8,64}$/);
    await backup('second passphrase 2');
    expect(await count()).toBe(3);
    expect((await opensRepository(repo(), 'first passphrase 1')).wrongPassword).toBe(true);
    for (const still of [await password(), 'second passphrase 2', 'an operator key 42']) expect((await opensRepository(repo(), still)).ok).toBe(true);
  }, 180_000);
});
