/**
 * Bundles each Lambda entry point (src/main/lambda/<name>.ts) with esbuild into minified ES
 * modules in dist/lambda/<name>/ (index.mjs and its chunks), ready to zip as a function's code
 * (handler `index.handler`). Prints each bundle's size. What is left out, and why:
 * - better-sqlite3 is a native module: it stays external and ships beside the bundle (a layer or
 *   node_modules in the zip).
 * - The AWS SDK v3 (`@aws-sdk/*`, with the `@smithy/*` packages it pulls in) stays external: Lambda's
 *   Node.js 20 runtime ships it, and this is what aws-cdk-lib's NodejsFunction does by default for
 *   Node.js 18+ runtimes. `--bundle-aws-sdk` (bundleAwsSdk) puts it in, for a runtime without it or
 *   to pin the SDK's version; docs/benchmarks.md has the sizes both ways.
 * - The HTTP app (http/build-app.ts, imported by main/platform.ts only when the api role runs) is
 *   bundled into the api handler only; in the others its import fails loudly, and no code path takes it.
 * - `yaml`: @fastify/swagger requires it for the YAML form of the OpenAPI document, which the platform
 *   never serves (GET /openapi.json is JSON); a stub that throws stands in for it.
 *
 * Run: `node scripts/bundle-lambda.mjs [--bundle-aws-sdk]` (also by `npm run build:lambda`).
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HANDLERS = ['api', 'worker', 'ecs-events', 'reconciler'];

/**
 * Resolves each import matched by a stub's filter to a module that fails when used, naming what was
 * left out and why: `exports` lists the functions a dependent may look up at load time (each throws
 * when called); with none, the import itself throws.
 */
function leftOut(stubs) {
  return {
    name: 'bbws-left-out',
    setup(b) {
      stubs.forEach(({ filter }, i) => b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'bbws-left-out', pluginData: i })));
      b.onLoad({ filter: /.*/, namespace: 'bbws-left-out' }, (args) => {
        const { why, exports = [] } = stubs[args.pluginData];
        const fail = `throw new Error(${JSON.stringify(`${args.path} is not in this Lambda bundle: ${why}`)});`;
        if (exports.length === 0) return { contents: fail, loader: 'js' };
        return { contents: exports.map((name) => `export function ${name}() { ${fail} }`).join('\n'), loader: 'js' };
      });
    },
  };
}

/** Bundles every handler into `outRoot/<name>/`; returns each one's size, directory and bundled source files. */
export async function bundleLambdas({ quiet = false, bundleAwsSdk = false, outRoot = join(root, 'dist', 'lambda') } = {}) {
  const sizes = {};
  for (const name of HANDLERS) {
    const stubs = [{ filter: /^yaml$/, why: 'only the YAML form of the OpenAPI document needs it, and it is never served', exports: ['stringify', 'parse'] }];
    if (name !== 'api') stubs.push({ filter: /\/http\/build-app\.js$/, why: 'only the api handler builds the HTTP app' });
    const outdir = join(outRoot, name);
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
      external: ['better-sqlite3', ...(bundleAwsSdk ? [] : ['@aws-sdk/*'])],
      plugins: [leftOut(stubs)],
      legalComments: 'none',
      logLevel: 'warning',
    });
    const totalBytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
    const inputs = Object.keys(result.metafile.inputs);
    sizes[name] = { totalBytes, dir: outdir, inputs };
    if (!quiet) process.stdout.write(`${name}: ${(totalBytes / 1e6).toFixed(2)} MB (${totalBytes} bytes, ${outdir})\n`);
  }
  return sizes;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleLambdas({ bundleAwsSdk: process.argv.includes('--bundle-aws-sdk') });
