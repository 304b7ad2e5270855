/**
 * Disaster recovery of N tenants onto a fresh data dir, as an operator runs it (issue 13's target:
 * 100 tenants ≤ 5 min). A real platform (MariaDB, php-fpm, nginx, WordPress, restic) gets N tenants,
 * a WordPress site in each (`--sites 0` for empty instances), one backup per tenant and a platform
 * backup (the CLI: `bbws backup create --platform`); it is then stopped and its data dir removed,
 * and the CLI's `bbws restore --platform ID --data-dir NEW` is timed, then a platform on NEW until
 * every site's homepage answers 200.
 *
 *   node --import tsx bench/disaster-recovery.bench.ts [--tenants 10] [--sites 1] [--parallel 2] [--json]
 *
 * Needs root and the Debian packages (`bbws setup`); temp dirs are removed at the end.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeRuntimeOf } from '../test/support/local-runtime-harness.js';
import { startLocalPlatform, type LocalPlatform } from '../test/support/platform-local-harness.js';
import { percentile } from './lib/stats.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const tenants = Number(arg('tenants', '10'));
const withSites = Number(arg('sites', '1')) > 0;
const parallel = Number(arg('parallel', '2'));
const asJson = process.argv.includes('--json');
const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PASSPHRASE = 'bench passphrase, long enough';

const say = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/support/cli-entry.ts'), ...args], { cwd: repoRoot, maxBuffer: 64 * 2 ** 20, env: { ...process.env, BBWS_DATA_DIR: '', BBWS_BACKUP_PASSPHRASE: '' } }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'bbws-bench-dr-'));
  const repository = join(scratch, 'repository');
  const newDir = join(scratch, 'restored');
  const passphraseFile = join(scratch, 'passphrase');
  writeFileSync(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  const names = Array.from({ length: tenants }, (_, i) => `dr${String(i).padStart(4, '0')}`);
  let old: LocalPlatform | null = await startLocalPlatform({ BBWS_BACKUP_REPOSITORY: repository });
  let restored: LocalPlatform | null = null;
  try {
    const p = old;
    say(`provisioning ${tenants} tenants${withSites ? ' with a site each' : ''} (load ${load()})`);
    const [setupMs] = await timed(() =>
      inBatches(names, 10, async (t) => {
        const created = await p.api('POST', '/v1.0/tenants', { tenantName: t });
        if ((await p.waitForOperation(created.body.operationId, 600_000)).status !== 'SUCCEEDED') throw new Error(`tenant ${t} failed`);
        if (!withSites) return;
        const site = await p.api('POST', `/v1.0/tenants/${t}/sites`, { siteName: 'www', title: `Site of ${t}`, adminEmail: 'bench@example.com' });
        if ((await p.waitForOperation(site.body.operationId, 600_000)).status !== 'SUCCEEDED') throw new Error(`site of ${t} failed`);
      }),
    );
    say(`setup ${(setupMs / 1000).toFixed(0)} s; backing up every tenant, then the platform (load ${load()})`);
    const [backupMs, backup] = await timed(() => cli(['backup', 'create', '--all', '--passphrase-file', passphraseFile, '--data-dir', p.dataDir]));
    if (backup.code !== 0) throw new Error(`backup --all failed: ${backup.stderr.slice(-2000)}`);
    const list = JSON.parse((await cli(['backup', 'list', '--json', '--data-dir', p.dataDir])).stdout).backups as Array<{ backupId: string; scope: string }>;
    const platformId = list.find((b) => b.scope === 'platform')!.backupId;
    const edgePort = p.edgePort;
    await p.stop();
    old = null;

    say(`platform ${platformId}: disaster recovery of ${tenants} tenants, --parallel ${parallel} (load ${load()})`);
    const loadBefore = load();
    const [restoreMs, r] = await timed(() => cli(['restore', '--platform', platformId, '--data-dir', newDir, '--repository', repository, '--passphrase-file', passphraseFile, '--parallel', String(parallel), '--edge-port', String(edgePort), '--json']));
    const loadAfter = load();
    if (r.code !== 0) throw new Error(`restore --platform failed: ${r.stderr.slice(-3000)}`);
    const report = JSON.parse(r.stdout) as { tenants: Array<{ ms: number; status: string; phases: { provisionMs: number; restoreMs: number; routeMs: number } | null }>; durationMs: number };
    const perTenant = report.tenants.map((t) => t.ms).sort((a, b) => a - b);
    const phase = (k: 'provisionMs' | 'restoreMs' | 'routeMs') => Math.round(percentile(report.tenants.map((t) => t.phases?.[k] ?? 0), 50));

    say(`restored in ${(restoreMs / 1000).toFixed(1)} s; starting the platform on it and requesting every homepage`);
    const [upMs, up] = await timed(() => startLocalPlatform({ BBWS_BACKUP_REPOSITORY: repository }, { dataDir: newDir, edgePort }));
    restored = up;
    let served = 0;
    const [homepagesMs] = await timed(() =>
      inBatches(names, 8, async (t) => {
        const res = await up.edge(withSites ? `www.${t}.wpdev.localhost` : `${t}.wpdev.localhost`);
        if (res.status === 200 || (!withSites && res.status === 302)) served++;
      }),
    );
    const result = {
      tenants,
      sites: withSites ? tenants : 0,
      parallel,
      restoreSeconds: +(restoreMs / 1000).toFixed(1),
      phasesP50Ms: { provision: phase('provisionMs'), restore: phase('restoreMs'), route: phase('routeMs') },
      perTenantMs: { p50: Math.round(percentile(perTenant, 50)), p95: Math.round(percentile(perTenant, 95)), max: Math.round(perTenant[perTenant.length - 1] ?? 0) },
      upSeconds: +(upMs / 1000).toFixed(1),
      homepagesSeconds: +(homepagesMs / 1000).toFixed(1),
      homepagesServed: served,
      backupAllSeconds: +(backupMs / 1000).toFixed(1),
      setupSeconds: +(setupMs / 1000).toFixed(0),
      extrapolated100TenantsSeconds: tenants === 100 ? null : +((restoreMs / tenants) * 100 / 1000).toFixed(0),
      load: { beforeRestore: loadBefore, afterRestore: loadAfter },
    };
    if (asJson) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      process.stdout.write(`disaster recovery of ${tenants} tenants (${result.sites} sites), --parallel ${parallel}\n`);
      process.stdout.write(`  bbws restore --platform: ${result.restoreSeconds} s (per tenant p50 ${result.perTenantMs.p50} ms, p95 ${result.perTenantMs.p95} ms, max ${result.perTenantMs.max} ms)\n`);
      process.stdout.write(`  per tenant p50 by phase: provision ${result.phasesP50Ms.provision} ms, restore ${result.phasesP50Ms.restore} ms, route sites ${result.phasesP50Ms.route} ms\n`);
      process.stdout.write(`  then bbws up: ${result.upSeconds} s; every homepage requested: ${result.homepagesSeconds} s, ${served}/${tenants} served\n`);
      process.stdout.write(`  (backup --all before: ${result.backupAllSeconds} s; setup ${result.setupSeconds} s)\n`);
      if (tenants !== 100) process.stdout.write(`  linear extrapolation to 100 tenants: ${result.extrapolated100TenantsSeconds} s (an EXTRAPOLATION from ${tenants}, not a measurement)\n`);
      process.stdout.write(`  load average before / after the restore: ${loadBefore} / ${loadAfter}\n`);
    }
  } finally {
    await old?.stop().catch(() => undefined);
    await restored?.stop().catch(() => undefined);
    if (!restored) await removeRuntimeOf(newDir).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
    // The platform's logger may still create its log file once after the stop: remove that too.
    await new Promise((r) => setTimeout(r, 1000));
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
