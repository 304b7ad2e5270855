/**
 * Bundles each Lambda entry point (src/main/lambda/<name>.ts) with esbuild into minified ES
 * modules in dist/lambda/<name>/ (index.mjs and its chunks), ready to zip as a function's code
 * (handler `index.handler`). better-sqlite3 is a native module: it stays external and ships beside the
 * bundle (a layer or node_modules in the zip). Prints each bundle's size.
 *
 * Run: `node scripts/bundle-lambda.mjs` (also by `npm run build:lambda`).
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HANDLERS = ['api', 'worker', 'ecs-events', 'reconciler'];

export async function bundleLambdas({ quiet = false } = {}) {
  const sizes = {};
  for (const name of HANDLERS) {
    const outdir = join(root, 'dist', 'lambda', name);
    rmSync(outdir, { recursive: true, force: true });
    const result = await build({
      entryPoints: { index: join(root, 'src', 'main', 'lambda', `${name}.ts`) },
      outdir,
      outExtension: { '.js': '.mjs' },
      // Modules imported only dynamically (the HTTP app, outside the api role) go to chunks the
      // handler never loads.
      splitting: true,
      metafile: true,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // CommonJS dependencies call require() for node built-ins: give the ES module a real one.
      banner: { js: "import { createRequire as bbwsCreateRequire } from 'node:module'; const require = bbwsCreateRequire(import.meta.url);" },
      external: ['better-sqlite3'],
      legalComments: 'none',
      logLevel: 'warning',
    });
    const totalBytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
    sizes[name] = { totalBytes, dir: outdir };
    if (!quiet) process.stdout.write(`${name}: ${(totalBytes / 1024 / 1024).toFixed(2)} MiB (${outdir})\n`);
  }
  return sizes;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleLambdas();
