/**
 * Plugin scanner benchmark: how long `scanPluginPackage` takes on the scan corpus
 * (test/fixtures/plugins/scan-corpus: every benign and malicious entry scanned as its own package),
 * on one "typical plugin" (the whole benign corpus as one package of ~30 PHP files), and on a
 * "large plugin" (that package ten times over, ~300 files). Prints medians over the rounds and the
 * first, cold round apart (it includes the JIT warming up on the parser).
 *
 *   node --import tsx bench/plugin-scan.bench.ts [--rounds 7] [--json]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { scanPluginPackage } from '../src/adapters/plugins/php-scan/scan-package.js';
import type { PackageFile } from '../src/domain/plugin-policy.js';
import { median } from './lib/stats.js';

const CORPUS = join(import.meta.dirname, '../test/fixtures/plugins/scan-corpus');

function packagesOf(kind: string): PackageFile[][] {
  const dir = join(CORPUS, kind);
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  return readdirSync(dir).map((name) => {
    const p = join(dir, name);
    const isDir = statSync(p).isDirectory();
    return (isDir ? walk(p) : [p]).map((f) => ({ path: isDir ? relative(p, f) : name, content: new Uint8Array(readFileSync(f)) }));
  });
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const rounds = option('rounds', 7);
const json = process.argv.includes('--json');
const benign = packagesOf('benign');
const malicious = packagesOf('malicious');
const typical = benign.flat().map((f) => ({ ...f, path: `typical/${f.path}` }));
const large = Array.from({ length: 10 }, (_, i) => typical.map((f) => ({ ...f, path: `copy${i}/${f.path}` }))).flat();
const kib = (files: PackageFile[]) => Math.round(files.reduce((n, f) => n + f.content.length, 0) / 1024);

const cases: { name: string; what: string; run: () => number }[] = [
  { name: 'corpus', what: `${benign.length + malicious.length} packages (${benign.length} benign, ${malicious.length} malicious), ${kib([...benign, ...malicious].flat())} KiB`, run: () => [...benign, ...malicious].reduce((n, p) => n + scanPluginPackage(p).length, 0) },
  { name: 'typical plugin', what: `${typical.length} files, ${kib(typical)} KiB`, run: () => scanPluginPackage(typical).length },
  { name: 'large plugin', what: `${large.length} files, ${kib(large)} KiB`, run: () => scanPluginPackage(large).length },
];

const results = cases.map((c) => {
  const times: number[] = [];
  let findings = 0;
  for (let r = 0; r <= rounds; r++) {
    const t0 = performance.now();
    findings = c.run();
    times.push(performance.now() - t0);
  }
  return { name: c.name, what: c.what, coldMs: times[0], medianMs: median(times.slice(1)), maxMs: Math.max(...times.slice(1)), findings };
});

if (json) {
  console.log(JSON.stringify({ rounds, results }, null, 2));
} else {
  console.log(`| case | input | cold ms | median ms (${rounds} rounds) | max ms | findings |`);
  console.log('|---|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.name} | ${r.what} | ${r.coldMs.toFixed(0)} | ${r.medianMs.toFixed(1)} | ${r.maxMs.toFixed(1)} | ${r.findings} |`);
}
