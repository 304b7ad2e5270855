/**
 * CLI start-up benchmark: wall time of whole `bbws` processes (what an operator or a script waits
 * for), next to `node -e 0` measured in the same run, interleaved round by round so that load on
 * the machine falls on every case alike. Cases: `--help`, `--version`, and `tenants list` against a
 * running API (`bbws api` started by the bench on an ephemeral port in a temp data dir: one API
 * call with a token minted from the data dir's key).
 *
 *   node --import tsx bench/cli.bench.ts [--runs 30] [--compare DIR] [--json]
 *
 * `--compare DIR` adds the same commands run from another built checkout (DIR/bin/bbws.js, e.g. a
 * `git worktree` of an earlier commit after `npm run build` there) to the same interleaved rounds.
 *
 * Wall time is what one waits; on this shared 2-core VM it moves with whatever else runs, so the
 * bench also reports the mean CPU time of each case, which moves far less.
 *
 * With NODE_EXTRA_CA_CERTS set (as this sandbox sets it), each case also runs without it: Node
 * reads that bundle at every start, ~60 ms here, before any code of ours runs.
 *
 * Runs bin/bbws.js, i.e. the built CLI: `npm run build` first. Target (issue 11): ≤ 150 ms for
 * `--help` and for a command that makes one API call; the overhead over `node -e 0` is the part
 * the CLI controls.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childCpuMs } from './lib/cpu-time.js';
import { median, percentile } from './lib/stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'bbws.js');

interface Case {
  name: string;
  args: string[];
  /** Variables taken out of the child's environment. */
  unset?: readonly string[];
}

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** Wall and CPU time of one process, in ms; fails loudly when the command fails (a broken case is no figure). */
function timeOnce(c: Case): { wallMs: number; cpuMs: number } {
  const cpu0 = childCpuMs();
  const start = process.hrtime.bigint();
  const env: NodeJS.ProcessEnv = { ...process.env, BBWS_DATA_DIR: '' };
  for (const name of c.unset ?? []) delete env[name];
  const r = spawnSync(process.execPath, c.args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr.toString()}`);
  return { wallMs, cpuMs: childCpuMs() - cpu0 };
}

/** The API URL in `<dataDir>/platform.json`, or null while `bbws api` has not (completely) written it. */
function apiUrlOf(dataDir: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(dataDir, 'platform.json'), 'utf8')) as { apiUrl?: string }).apiUrl ?? null;
  } catch {
    return null;
  }
}

async function startApi(dataDir: string): Promise<() => Promise<void>> {
  const child = spawn(process.execPath, [BIN, 'api', '--data-dir', dataDir, '--api-port', '0'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, BBWS_RATE_LIMIT: '0', BBWS_LOG_LEVEL: 'warn' } });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const deadline = Date.now() + 30_000;
  while (!apiUrlOf(dataDir)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`bbws api did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return () =>
    new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('Build the CLI first: npm run build');
  const runs = Number(argValue('--runs', '30'));
  const json = process.argv.includes('--json');
  const dataDir = mkdtempSync(join(tmpdir(), 'bbws-cli-bench-'));
  const stopApi = await startApi(dataDir);
  try {
    const apiUrl = apiUrlOf(dataDir)!;
    const cases: Case[] = [
      { name: 'node -e 0 (baseline)', args: ['-e', '0'] },
      { name: 'bbws --help', args: [BIN, '--help'] },
      { name: 'bbws --version', args: [BIN, '--version'] },
      { name: 'bbws tenants list (1 API call)', args: [BIN, 'tenants', 'list', '--data-dir', dataDir] },
    ];
    // NODE_EXTRA_CA_CERTS makes Node parse that CA bundle at every start, before any of our code
    // (~60 ms on this VM, where the sandbox sets it for its proxy; Debian does not set it): the
    // cases run again without it, the figures a fresh host gives.
    if (process.env.NODE_EXTRA_CA_CERTS) {
      for (const c of cases.slice(0, 4)) cases.push({ ...c, name: `${c.name}, no NODE_EXTRA_CA_CERTS`, unset: ['NODE_EXTRA_CA_CERTS'] });
    }
    const compare = argValue('--compare', '');
    if (compare) {
      const other = join(compare, 'bin', 'bbws.js');
      cases.push({ name: `${compare}: --help`, args: [other, '--help'] }, { name: `${compare}: tenants list`, args: [other, 'tenants', 'list', '--data-dir', dataDir] });
    }
    for (const c of cases) timeOnce(c); // warm the page cache
    const times = new Map(cases.map((c) => [c.name, [] as number[]]));
    const cpu = new Map(cases.map((c) => [c.name, 0]));
    for (let i = 0; i < runs; i++) {
      for (const c of cases) {
        const t = timeOnce(c);
        times.get(c.name)!.push(t.wallMs);
        cpu.set(c.name, cpu.get(c.name)! + t.cpuMs);
      }
    }
    // Each case against bare Node started the same way (with or without the CA bundle).
    const baselineOf = (c: Case) => cases.find((b) => b.args[0] === '-e' && (b.unset ?? []).join() === (c.unset ?? []).join()) ?? cases[0];
    const rows = cases.map((c) => {
      const t = times.get(c.name)!;
      const cpuMs = cpu.get(c.name)! / runs;
      const b = baselineOf(c);
      const base = median(times.get(b.name)!);
      const baseCpu = cpu.get(b.name)! / runs;
      return { case: c.name, runs: t.length, medianMs: median(t), p90Ms: percentile(t, 90), p95Ms: percentile(t, 95), overMedianBaselineMs: median(t) - base, meanCpuMs: cpuMs, cpuOverBaselineMs: cpuMs - baseCpu };
    });
    const meta = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, loadavg: loadavg().map((l) => l.toFixed(2)).join(' '), apiUrl };
    if (json) {
      process.stdout.write(`${JSON.stringify({ meta, rows }, null, 2)}\n`);
      return;
    }
    process.stdout.write(`node ${meta.node}, ${meta.cpus} CPUs (${meta.cpu}), load ${meta.loadavg}; ${runs} interleaved runs per case\n\n`);
    const f = (n: number) => ` ${n.toFixed(1)}`;
    process.stdout.write('| case | wall median | p90 | p95 | median − baseline | CPU mean | CPU − baseline |\n|---|---:|---:|---:|---:|---:|---:|\n');
    for (const r of rows) process.stdout.write(`| ${r.case} |${[r.medianMs, r.p90Ms, r.p95Ms, r.overMedianBaselineMs, r.meanCpuMs, r.cpuOverBaselineMs].map(f).join(' |')} |\n`);
    process.stdout.write('\n(ms; CPU = user + system time of the bbws process, from /proc/self/stat of the bench)\n');
  } finally {
    await stopApi();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`cli bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
