/**
 * What a start of the built CLI (bin/bbws.js) loads: `--help` and `--version` nothing outside the
 * bundle and not commander (program.mjs), a command making one API call its own group of commands
 * and the token minting, and
 * none of them a package from node_modules (fastify, pino, SQLite, the AWS SDK, the scanner…) or
 * the platform. docs/benchmarks.md "CLI start" has what each module costs; the output is the
 * same as the whole program's, run from source.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bbws } from '../support/cli-process.js';
import { startHarness, type Harness } from '../support/platform-harness.js';

const exec = promisify(execFile);
const ROOT = join(__dirname, '../..');

/** Runs the built CLI; returns its output and the modules it loaded (paths under the repository, or node:…). */
async function builtCli(...args: string[]): Promise<{ stdout: string; stderr: string; modules: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-cli-modules-'));
  const log = join(dir, 'modules.txt');
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', join(ROOT, 'test/support/module-log.mjs'), join(ROOT, 'bin/bbws.js'), ...args], {
      env: { ...process.env, BBWS_DATA_DIR: '', BBWS_MODULE_LOG: log },
    });
    const urls = new Set(readFileSync(log, 'utf8').trim().split('\n'));
    const modules = [...urls].map((u) => u.replace(`file://${ROOT}/`, '')).filter((m) => !m.startsWith('file://') || !m.endsWith('module-log.mjs'));
    return { stdout, stderr, modules };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ours = (modules: string[]) => modules.filter((m) => !m.startsWith('node:') && !m.startsWith('builtin:'));

describe('start of the built CLI', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('--help and --version load neither commander nor anything outside the bundle, and say what the whole program says', async () => {
    for (const args of [['--help'], ['-h'], ['--version'], ['-V']]) {
      const r = await builtCli(...args);
      expect(ours(r.modules).filter((m) => !m.startsWith('dist/cli/') && m !== 'bin/bbws.js'), args[0]).toEqual([]);
      expect(ours(r.modules).length, `${args[0]}: ${r.modules.join(' ')}`).toBeLessThanOrEqual(4); // bin/bbws.js, the bundle, its runtime helpers, the version
      // commander alone is ~120 KB of the bundle: these few files are main.ts and what it imports.
      const bytes = ours(r.modules).reduce((sum, m) => sum + statSync(join(ROOT, m)).size, 0);
      expect(bytes, `${args[0]}: ${r.modules.join(' ')}`).toBeLessThan(12_000);
      expect(r.stdout).toBe((await bbws(...args)).stdout);
    }
  });

  it('a command making one API call loads its group and the token minting, no package and not the platform', async () => {
    const r = await builtCli('--data-dir', h.dataDir, 'tenants', 'list', '--json');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).items).toBeInstanceOf(Array);
    const modules = ours(r.modules);
    expect(modules.filter((m) => m.startsWith('node_modules/')), modules.join(' ')).toEqual([]);
    expect(modules.filter((m) => m.startsWith('dist/src/')), modules.join(' ')).toEqual(['dist/src/domain/errors.js']);
    expect(modules.filter((m) => m.includes('.command-')), modules.join(' ')).toEqual([expect.stringMatching(/^dist\/cli\/tenants\.command-/)]);
    expect(modules.length, modules.join(' ')).toBeLessThanOrEqual(14);
    // commander's require of child_process waits for a use that bbws never makes (bundle-cli.mjs): ~4 ms a start.
    expect(r.modules).toContain('builtin:net');
    expect(r.modules).not.toContain('builtin:child_process');
  });
});
