/**
 * `kill -9` of a real `bbws up` (a child process running the CLI from source) in the middle of a
 * backup and in the middle of an in-place restore. Afterwards: no restic or dump outlives bbws,
 * and after the restart the operation resumes and succeeds, leaving no scratch database, no work
 * or scratch directory, exactly one record for the backup and one checkpoint for the restore.
 * Then a verify killed while it serves the restored copy on its scratch route (see the end).
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listProcesses, readCmdline } from '../../src/adapters/os/processes.js';
import { run } from '../../src/adapters/runtime/local/exec.js';
import { killableUp } from '../support/killable-up.js';
import { pollUntil } from '../support/poll.js';

const up = killableUp('bbws-kill9-backup-');
const dataDir = up.dataDir;

/** Helper programs of backups still running for this data dir. */
const backupHelpers = () => listProcesses().filter((p) => p.state !== 'Z' && /^(restic|mariadb-dump)$/.test(readCmdline(p.pid)[0]?.split('/').pop() ?? '') && readCmdline(p.pid).some((a) => a.includes(dataDir)));

afterAll(() => up.stop(), 60_000);

describe('kill -9 during a backup and during a restore', () => {
  it('loses nothing and leaves nothing: the operation resumes after the restart', async () => {
    await up.start();
    const call = up.call;
    const created = await call('POST', '/v1.0/tenants', { tenantName: 'killbk' });
    await pollUntil('tenant ACTIVE', async () => (await call('GET', `/v1.0/operations/${created.operationId}`)).status === 'SUCCEEDED', 120_000, 200);
    // 200 MB of incompressible uploads: the snapshot takes long enough to be killed in the middle.
    const runtimeRoot = readFileSync(join(dataDir, 'runtime-root'), 'utf8').trim();
    const uploads = join(runtimeRoot, 'tenants', 'killbk', 'content', 'uploads');
    await run('dd', ['if=/dev/urandom', `of=${join(uploads, 'big.bin')}`, 'bs=1M', 'count=200'], { timeoutMs: 120_000 });

    const killDuring = async (operationId: string, step: string) => {
      await pollUntil(`step "${step}"`, async () => (await call('GET', `/v1.0/operations/${operationId}`)).steps.some((s: any) => s.name === step && s.status === 'IN_PROGRESS'), 120_000, 20);
      await up.kill();
      // restic and mariadb-dump die with bbws (parent-death signal).
      await pollUntil('backup helpers gone', async () => backupHelpers().length === 0, 10_000, 100);
      await up.start();
      return pollUntil('operation resumed and finished', async () => {
        const op = await call('GET', `/v1.0/operations/${operationId}`);
        return op.status === 'SUCCEEDED' || op.status === 'FAILED' ? op : undefined;
      }, 180_000, 500);
    };
    const assertClean = async () => {
      const dbs = await run('mariadb', ['--no-defaults', `--socket=${join(runtimeRoot, 'mariadb', 'run', 'mysqld.sock')}`, '--user=root', '-N', '-e', "SHOW DATABASES LIKE 'bbws\\_%'"]);
      expect(dbs.stdout).toBe('');
      const entries = (d: string) => (existsSync(join(dataDir, d)) ? readdirSync(join(dataDir, d)) : []);
      expect(entries('backup-scratch')).toEqual([]);
      expect(entries('backup-work')).toEqual([]);
      return (await call('GET', '/v1.0/backups')).backups;
    };

    const backup = await call('POST', '/v1.0/backups', { tenantId: 'killbk' });
    const op = await killDuring(backup.operationId, 'snapshot to the repository (restic)');
    expect(op.status, JSON.stringify(op)).toBe('SUCCEEDED');
    expect(op.steps.some((s: any) => s.status === 'FAILED' && /interrupted/.test(s.error))).toBe(true);
    const records = await assertClean();
    expect(records.map((r: any) => r.backupId)).toEqual([backup.backupId]);
    expect(records[0].files.bytes).toBeGreaterThan(200 * 1024 * 1024);

    await run('rm', ['-f', join(uploads, 'big.bin')]);
    const restore = await call('POST', `/v1.0/backups/${backup.backupId}/restore`, { inPlace: true });
    const rop = await killDuring(restore.operationId, 'restore snapshot to scratch');
    expect(rop.status, JSON.stringify(rop)).toBe('SUCCEEDED');
    expect(rop.steps.some((s: any) => s.status === 'FAILED' && /interrupted/.test(s.error))).toBe(true);
    await assertClean();
    // The file is back, byte for byte the size it had; the checkpoint was taken once.
    expect((await run('stat', ['-c', '%s', join(uploads, 'big.bin')])).stdout.trim()).toBe(String(200 * 1024 * 1024));
    const all = (await call('GET', '/v1.0/backups')).backups;
    expect(all.filter((r: any) => r.reason === 'checkpoint')).toHaveLength(1);

    // A verify killed while its restored copy is being served: the scratch route and the copy in the
    // tenant's tree are there after the kill; after the restart the route is gone and the resumed
    // verify sweeps the rest first, serves the copy again and records its homepage.
    const routes = join(runtimeRoot, 'edge', 'routes');
    // The edge (nginx, master and workers) is held with SIGSTOP while the verify runs, so its
    // homepage request hangs with the copy served: the kill then lands exactly while it is served.
    const edgeMaster = listProcesses().find((p) => readCmdline(p.pid).join(' ').includes(`nginx -p ${join(runtimeRoot, 'edge')}`));
    expect(edgeMaster, 'the edge of this bbws up').toBeDefined();
    const edge = [edgeMaster!.pid, ...listProcesses().filter((p) => p.ppid === edgeMaster!.pid).map((p) => p.pid)];
    const verify = await call('POST', `/v1.0/backups/${backup.backupId}/verify`, {});
    expect(verify.operationId, JSON.stringify(verify)).toBeDefined();
    for (const pid of edge) process.kill(pid, 'SIGSTOP');
    let route: string | undefined;
    try {
      route = await pollUntil('the scratch route and its wp-config', async () => {
        const r = readdirSync(routes).find((n) => n.startsWith('verify-'));
        return r && existsSync(join(runtimeRoot, 'tenants', 'killbk', 'verify', /^verify-([a-z0-9]{12})/.exec(r)![1]!, 'www', 'wp-config.php')) ? r : undefined;
      }, 180_000, 20);
      await up.kill();
    } finally {
      for (const pid of edge) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // gone with bbws (parent-death signal)
        }
      }
    }
    expect(route, 'the scratch route was seen before the kill').toBeDefined();
    const id = /^verify-([a-z0-9]{12})/.exec(route!)![1]!;
    const copyDir = join(runtimeRoot, 'tenants', 'killbk', 'verify', id);
    const sql = (q: string) => run('mariadb', ['--no-defaults', `--socket=${join(runtimeRoot, 'mariadb', 'run', 'mysqld.sock')}`, '--user=root', '-N', '-e', q]).then((r) => r.stdout);
    expect(lstatSync(join(routes, route!)).isSymbolicLink()).toBe(true);
    expect(existsSync(join(copyDir, 'www', 'wp-config.php'))).toBe(true);
    // Its DB user was made before the route (scratch-serve.ts); MariaDB died with bbws, so it is checked gone at the end.
    await up.start();
    // Gone: by the edge's start (test/integration/local-runtime.test.ts) or the resumed verify's sweep, whichever came first.
    expect(lstatSync(join(routes, route!), { throwIfNoEntry: false }), 'the scratch route is gone').toBeUndefined();
    const vop = await pollUntil('verify resumed and finished', async () => {
      const op = await call('GET', `/v1.0/operations/${verify.operationId}`);
      return op.status === 'SUCCEEDED' || op.status === 'FAILED' ? op : undefined;
    }, 180_000, 500);
    expect(vop.status, JSON.stringify(vop)).toBe('SUCCEEDED');
    await assertClean();
    expect(existsSync(copyDir)).toBe(false);
    expect(await sql("SELECT User FROM mysql.user WHERE User LIKE 'bbws\\_scratch\\_%'")).toBe('');
    expect(readdirSync(routes).filter((n) => n.startsWith('verify-'))).toEqual([]);
    const verified = await call('GET', `/v1.0/backups/${backup.backupId}`);
    // The tenant has no site: its default install, never installed, answers WordPress's 302 to the installer.
    expect(verified.verification).toMatchObject({ status: 'VERIFIED', homepages: [{ siteId: null, status: 302, ok: true }] });
  }, 900_000);
});
