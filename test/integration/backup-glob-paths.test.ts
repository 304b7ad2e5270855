/**
 * A data dir whose path holds glob characters (`[`, `]`, `*`, `?`): the quick start promises any
 * clone directory works. restic reads `--include` as a pattern, so the paths given to it must be
 * made exact (restic-args.ts), or a restore matches nothing (or another directory's files).
 * Real MariaDB, WordPress and restic; the runtime tree stays where the harness puts it (a data dir
 * in root's 0700 home gets one under /var/lib/bbws, whatever its own path).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackupFixture, type BackupFixture } from '../support/backup-fixture.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime-harness.js';

let t: TestRuntime;
let f: BackupFixture;
let parent: string;
let dataDir: string;

describe('backups under a data dir whose path holds glob characters', () => {
  beforeAll(async () => {
    t = await startTestRuntime('dev');
    parent = await mkdtemp(join(tmpdir(), 'bbws-glob-'));
    // `d[ab]*?` as a pattern matches `da` and `dbx?`, never itself: both decoys exist beside it.
    dataDir = join(parent, 'd[ab]*?');
    for (const d of [dataDir, join(parent, 'da'), join(parent, 'dbxy')]) await mkdir(d, { mode: 0o700 });
    f = await startBackupFixture(t, 'acmeglob', { dataDir });
  }, 180_000);

  afterAll(async () => {
    await f?.close();
    await t?.cleanup();
    if (parent) await rm(parent, { recursive: true, force: true });
  });

  it('backs up, verifies and restores in place', async () => {
    const upload = join(f.access.uploadsDir(f.site.siteId), 'glob.txt');
    await f.access.asTenant('mkdir', ['-p', '--', f.access.uploadsDir(f.site.siteId)]);
    await writeFile(upload, 'kept');
    const backup = await f.engine.createBackup(f.input());
    expect((await f.engine.verifyBackup(backup.backupId)).verification).toMatchObject({ status: 'VERIFIED', error: null });
    await f.wp(`foreach (get_posts(['numberposts' => -1, 'post_type' => 'any']) as $p) wp_delete_post($p->ID, true); echo 'true';`);
    await rm(upload);
    await f.engine.restoreInPlace(backup.backupId);
    expect(await f.wp<string[]>(`echo json_encode(array_map(fn($p) => $p->post_title, get_posts(['numberposts' => -1, 'post_type' => 'any', 'orderby' => 'ID', 'order' => 'ASC'])));`)).toEqual(['Hello world!', 'Sample Page']);
    expect(await readFile(upload, 'utf8')).toBe('kept');
  }, 180_000);
});
