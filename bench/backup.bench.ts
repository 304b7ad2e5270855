/**
 * Backups of a site with 1,000 posts and 100 MB of uploads (the clone bench's fixture) against a
 * real tenant (MariaDB + WordPress) and a real restic repository: full backup, incremental with
 * nothing changed (time and repository growth), verify (restore to scratch + compare + serve the
 * copy and GET its homepage through the edge), restore in
 * place; beside a raw `mariadb-dump > file` + `tar` of the same site in the same run. Prints
 * medians, repository growth and the dedup ratio (bytes backed up / bytes stored).
 *
 *   node --import tsx bench/backup.bench.ts [--runs 5] [--posts 1000] [--mb 100] [--json]
 *
 * Needs root and the Debian packages (`bbws setup`); uses a temp data dir removed at the end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { catalogDir, repositoryDir } from '../src/adapters/backup/backup-paths.js';
import { createFileBackupCatalog } from '../src/adapters/backup/file-catalog.js';
import { createLocalBackupEngine } from '../src/adapters/backup/local-backup-engine.js';
import { run } from '../src/adapters/runtime/local/exec.js';
import { createLocalSecrets } from '../src/adapters/secrets/local.js';
import { listTables, prefixOf } from '../src/adapters/wordpress/local/clone.js';
import { createTenantAccess } from '../src/adapters/wordpress/local/create-tenant-access.js';
import { newBackupId } from '../src/domain/backup.js';
import type { SiteRef } from '../src/ports/wordpress.js';
import { runSteps, silentLogger, spec, startTestRuntime } from '../test/support/local-runtime-harness.js';
import { treeCpuMs } from './lib/cpu-time.js';
import { median, percentile } from './lib/stats.js';
import { fillBenchSite } from './lib/site-fixture.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const runs = Number(arg('runs', '5'));
const posts = Number(arg('posts', '1000'));
const megabytes = Number(arg('mb', '100'));
const asJson = process.argv.includes('--json');

const TENANT = 'benchbackup';
const site: SiteRef = { tenantId: TENANT, siteId: 'backbench1', hostnames: ['www.benchbackup.wpdev.localhost'] };

/** Time per progress step (ms, summed over calls), from the step names the engine reports. */
const phases: Record<string, number[]> = {};
function phaseTimer(op: string) {
  let step: string | null = null;
  let t = performance.now();
  const close = () => {
    if (step !== null) (phases[`${op}: ${step}`] ??= []).push(performance.now() - t);
  };
  return {
    progress: (name: string) => {
      if (name === step) return;
      close();
      step = name;
      t = performance.now();
    },
    end: close,
  };
}

/** CPU ms (this process + the helpers it reaped: restic, mariadb-dump, mariadb, cp/mv…; not mariadbd) per operation. */
const cpu: Record<string, number[]> = {};

async function timed<T>(op: string, fn: (progress: (step: string) => void) => Promise<T>): Promise<[number, T]> {
  const p = phaseTimer(op);
  p.progress('(setup)');
  const c0 = treeCpuMs();
  const t0 = performance.now();
  const v = await fn(p.progress);
  p.end();
  (cpu[op] ??= []).push(treeCpuMs() - c0);
  return [performance.now() - t0, v];
}

const duBytes = async (dir: string) => Number((await run('du', ['-sb', '--', dir])).stdout.split('\t')[0]);

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((x) => Number(x.toFixed(2)));
  const t = await startTestRuntime('dev');
  const scratch = await mkdtemp(join(tmpdir(), 'bbws-bench-backup-'));
  try {
    await runSteps(t.runtime.provisionSteps(spec(TENANT)));
    const secrets = createLocalSecrets({ dir: join(t.dataDir, 'secrets') });
    const access = await createTenantAccess(t.runtime, secrets, TENANT);
    await fillBenchSite(access, site, { posts, megabytes });
    const uploads = access.uploadsDir(site.siteId);

    const engine = createLocalBackupEngine({ runtime: t.runtime, secrets, catalog: createFileBackupCatalog({ dir: catalogDir(t.dataDir) }), logger: silentLogger(), env: 'dev', dataDir: t.dataDir });
    const input = (type: 'full' | 'incremental', parentId: string | null) => ({ backupId: newBackupId(), tenantId: TENANT, siteId: site.siteId, type, reason: 'manual' as const, parentId, sites: [], spec: null });
    const adminArgs = ['--no-defaults', `--socket=${t.runtime.layout.mariadbSocket}`, '--user=root'];
    const tables = (await listTables(access, prefixOf('s', site.siteId))).map((s) => `${prefixOf('s', site.siteId)}${s}`);

    // fullFirst: into an empty repository (every byte written); full: later fulls (every file read again, deduplicated).
    const samples: Record<string, number[]> = { fullFirst: [], full: [], incrementalUnchanged: [], verify: [], restoreInPlace: [], baselineDumpAndTar: [] };
    const growth: number[] = [];
    const homepageRequestMs: number[] = [];
    let logical = 0;
    for (let r = 0; r < runs; r++) {
      const [fullMs, full] = await timed(r === 0 ? 'fullFirst' : 'full', (p) => engine.createBackup(input('full', null), p));
      (r === 0 ? samples.fullFirst : samples.full).push(fullMs);
      const before = await duBytes(repositoryDir(t.dataDir));
      const [incMs, inc] = await timed('incrementalUnchanged', (p) => engine.createBackup(input('incremental', full.backupId), p));
      samples.incrementalUnchanged.push(incMs);
      growth.push((await duBytes(repositoryDir(t.dataDir))) - before);
      logical += full.sizes.databaseBytes + full.sizes.filesBytes + inc.sizes.databaseBytes + inc.sizes.filesBytes;
      const [verifyMs, verified] = await timed('verify', (p) => engine.verifyBackup(inc.backupId, p));
      if (verified.verification.status !== 'VERIFIED') throw new Error(verified.verification.error ?? 'verify failed');
      samples.verify.push(verifyMs);
      // The homepage request alone (through the edge to the restored copy), out of the serving step.
      for (const h of verified.verification.homepages ?? []) homepageRequestMs.push(h.ms);
      samples.restoreInPlace.push((await timed('restoreInPlace', (p) => engine.restoreInPlace(inc.backupId, p)))[0]);
      samples.baselineDumpAndTar.push(
        (
          await timed('baselineDumpAndTar', async () => {
            await run('mariadb-dump', [...adminArgs, '--single-transaction', `--result-file=${join(scratch, 'dump.sql')}`, `${TENANT}_db`, ...tables], { timeoutMs: 600_000 });
            await run('tar', ['-cf', join(scratch, 'uploads.tar'), '-C', dirname(uploads), site.siteId], { timeoutMs: 600_000 });
          })
        )[0],
      );
      await rm(join(scratch, 'dump.sql'), { force: true });
      await rm(join(scratch, 'uploads.tar'), { force: true });
    }
    const stored = await duBytes(repositoryDir(t.dataDir));
    await access.close();

    const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v))]));
    const p95 = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(percentile(v, 95))]));
    const cpuMedians = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round(median(v))]));
    const result = {
      command: `node --import tsx bench/backup.bench.ts --runs ${runs} --posts ${posts} --mb ${megabytes}`,
      posts,
      uploadsMb: megabytes,
      runs,
      loadAverage: { start: loadAtStart, end: loadavg().map((x) => Number(x.toFixed(2))) },
      medianMs: medians,
      p95Ms: p95,
      cpuMedianMs: cpuMedians,
      phasesMedianMs: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, Math.round(median(v))])),
      rawMs: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.map((x) => Math.round(x))])),
      homepageRequestMs: { median: homepageRequestMs.length ? Math.round(median(homepageRequestMs)) : null, raw: homepageRequestMs },
      incrementalGrowthBytes: { median: median(growth), raw: growth },
      repositoryBytes: stored,
      backedUpBytes: logical,
      dedupRatio: Number((logical / stored).toFixed(1)),
      vsBaseline: Object.fromEntries(['full', 'incrementalUnchanged', 'verify', 'restoreInPlace'].map((k) => [k, Number((medians[k] / medians.baselineDumpAndTar).toFixed(2))])),
    };
    if (asJson) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(`backups of a site with ${posts} posts + ${megabytes} MB uploads, median of ${runs} runs (restic ${(await run('restic', ['version'])).stdout.split(' ')[1]})`);
      console.log(`  load average at start ${loadAtStart.join(' ')}, at end ${result.loadAverage.end.join(' ')}`);
      console.log(`  ${''.padEnd(22)} ${'median'.padStart(7)}    ${'p95'.padStart(6)}    ${'CPU'.padStart(6)}   (each run)`);
      for (const [k, v] of Object.entries(result.medianMs)) console.log(`  ${k.padEnd(22)} ${String(v).padStart(7)} ms ${String(p95[k]).padStart(6)} ms ${String(cpuMedians[k] ?? '').padStart(6)} ms   (${result.rawMs[k].join(', ')})`);
      console.log(`  incremental growth      ${result.incrementalGrowthBytes.median} bytes (median; ${growth.join(', ')})`);
      console.log(`  verify's homepage request ${result.homepageRequestMs.median ?? '-'} ms (median; ${homepageRequestMs.join(', ')})`);
      console.log(`  repository ${(stored / 1024 / 1024).toFixed(1)} MB for ${(logical / 1024 / 1024).toFixed(1)} MB backed up: dedup ratio ${result.dedupRatio}`);
      console.log(`  vs mariadb-dump + tar: ${JSON.stringify(result.vsBaseline)}`);
      console.log('  phases (median ms):');
      for (const [k, v] of Object.entries(phases)) console.log(`    ${k.padEnd(60)} ${String(Math.round(median(v))).padStart(6)}   (${v.map((x) => Math.round(x)).join(', ')})`);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await t.cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
