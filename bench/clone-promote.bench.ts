/**
 * Clone / backup / promote / undo of a site with 1,000 posts (each with a serialized postmeta
 * holding its URL) and 100 MB of uploads, against a real tenant (MariaDB + WordPress), beside the
 * raw baselines measured in the same run: `mariadb-dump | mariadb` of the same tables into a
 * scratch database (no URL rewrite: a lower bound) and `cp -a` of the uploads.
 *
 *   node --import tsx bench/clone-promote.bench.ts [--runs 5] [--posts 1000] [--mb 100] [--json]
 *
 * Needs root and the Debian packages (`bbws setup`); uses a temp data dir removed at the end.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/adapters/runtime/local/exec.js';
import { createLocalSecrets } from '../src/adapters/secrets/local.js';
import { backupSiteData, deleteSiteBackup, restoreSiteData } from '../src/adapters/wordpress/local/backup.js';
import { cloneSiteData, dropSiteTables, listTables, prefixOf } from '../src/adapters/wordpress/local/clone.js';
import { createTenantAccess } from '../src/adapters/wordpress/local/create-tenant-access.js';
import { promoteWithBackup } from '../src/adapters/wordpress/local/promote.js';
import { siteHomeUrl } from '../src/adapters/wordpress/local/sites-map.js';
import type { SiteRef } from '../src/ports/wordpress.js';
import { runSteps, spec, startTestRuntime } from '../test/support/local-runtime-harness.js';
import { median } from './lib/stats.js';
import { fillBenchSite, INSTALL_WORDPRESS } from './lib/site-fixture.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const runs = Number(arg('runs', '5'));
const posts = Number(arg('posts', '1000'));
const megabytes = Number(arg('mb', '100'));
const asJson = process.argv.includes('--json');

const TENANT = 'benchclone';
const staging: SiteRef = { tenantId: TENANT, siteId: 'stagbench1', hostnames: ['staging.bench.wpdev.localhost'] };
const prod: SiteRef = { tenantId: TENANT, siteId: 'prodbench1', hostnames: ['www.bench.wpdev.localhost'] };
const clone: SiteRef = { tenantId: TENANT, siteId: 'clonbench1', hostnames: ['copy.bench.wpdev.localhost'] };

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** `mariadb-dump … | mariadb …` with two spawned processes and a pipe between them (no shell). */
function dumpPipe(dumpArgs: string[], loadArgs: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const dump = spawn('mariadb-dump', dumpArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
    const load = spawn('mariadb', loadArgs, { stdio: ['pipe', 'ignore', 'inherit'] });
    dump.stdout.pipe(load.stdin);
    let pending = 2;
    const done = (name: string) => (code: number | null) => {
      if (code !== 0) return reject(new Error(`${name} exited with ${code}`));
      if (--pending === 0) resolve();
    };
    dump.on('close', done('mariadb-dump'));
    load.on('close', done('mariadb'));
  });
}

async function main(): Promise<void> {
  const t = await startTestRuntime('dev');
  const scratch = await mkdtemp(join(tmpdir(), 'bbws-bench-cp-'));
  try {
    await runSteps(t.runtime.provisionSteps(spec(TENANT)));
    const access = await createTenantAccess(t.runtime, createLocalSecrets({ dir: join(t.dataDir, 'secrets') }), TENANT);
    const url = (s: SiteRef) => siteHomeUrl(s.hostnames[0], t.edgePort);
    await fillBenchSite(access, staging, { posts, megabytes });
    const uploads = access.uploadsDir(staging.siteId);
    await access.php(prod, INSTALL_WORDPRESS);

    const adminArgs = ['--no-defaults', `--socket=${t.runtime.layout.mariadbSocket}`, '--user=root'];
    const db = `${TENANT}_db`;
    const tables = (await listTables(access, prefixOf('s', staging.siteId))).map((s) => `${prefixOf('s', staging.siteId)}${s}`);
    const samples: Record<string, number[]> = { clone: [], backup: [], promoteWithBackup: [], undo: [], baselineDumpPipe: [], baselineCpUploads: [] };
    for (let r = 0; r < runs; r++) {
      samples.clone.push(await timed(() => cloneSiteData(access, staging, clone, { fromUrl: url(staging), toUrl: url(clone) })));
      await dropSiteTables(access, clone.siteId);
      await rm(access.uploadsDir(clone.siteId), { recursive: true, force: true });

      let backupId = '';
      samples.backup.push(await timed(async () => (backupId = await backupSiteData(access, prod))));
      await deleteSiteBackup(access, prod, backupId);

      samples.promoteWithBackup.push(await timed(async () => (backupId = await promoteWithBackup(access, staging, prod, ['database', 'uploads'], { fromUrl: url(staging), toUrl: url(prod) }))));
      samples.undo.push(await timed(() => restoreSiteData(access, prod, backupId)));
      await deleteSiteBackup(access, prod, backupId);

      await run('mariadb', adminArgs, { input: 'DROP DATABASE IF EXISTS bbws_bench_scratch; CREATE DATABASE bbws_bench_scratch;' });
      samples.baselineDumpPipe.push(await timed(() => dumpPipe([...adminArgs, '--single-transaction', db, ...tables], [...adminArgs, 'bbws_bench_scratch'])));
      const target = join(scratch, `copy-${r}`);
      samples.baselineCpUploads.push(await timed(() => run('cp', ['-a', '--', uploads, target], { timeoutMs: 600_000 })));
      await rm(target, { recursive: true, force: true });
    }
    await run('mariadb', adminArgs, { input: 'DROP DATABASE IF EXISTS bbws_bench_scratch;' });
    await access.close();

    const result = {
      command: `node --import tsx bench/clone-promote.bench.ts --runs ${runs} --posts ${posts} --mb ${megabytes}`,
      posts,
      uploadsMb: megabytes,
      runs,
      medianMs: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v))])),
      rawMs: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.map((x) => Math.round(x))])),
    };
    if (asJson) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(`clone/promote of ${posts} posts + ${megabytes} MB uploads, median of ${runs} runs`);
      for (const [k, v] of Object.entries(result.medianMs)) console.log(`  ${k.padEnd(20)} ${String(v).padStart(7)} ms   (${result.rawMs[k].join(', ')})`);
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
