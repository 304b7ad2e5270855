/**
 * Bundles the CLI's own modules (src/cli) and commander into dist/cli, which bin/bbws.js runs:
 * bbws.mjs (main.ts, which answers a lone --help or --version itself), program.mjs (commander and
 * the program) and one chunk per `import()`, i.e. per command group and per heavy action (esbuild
 * code splitting; without it esbuild hoists the static imports of every `import()`ed module into
 * the one file, and every start loaded the platform). Each ES module a start loads costs ~0.6-1.5
 * ms on this VM (docs/benchmarks.md "CLI start").
 *
 * Everything outside src/cli stays external and is loaded from tsc's output in dist/src, exactly
 * as without the bundle (but for INLINED below): the platform (`bbws up`) and the plugin scanner
 * are imported only by the commands that use them, and classes such as BbwsError exist once, so
 * `instanceof` holds between the CLI and the platform code it calls.
 *
 * Then writes, from the program just built, what `--help` and `--version` answer without it.
 * Run by `npm run build` after tsc (esbuild: the maintained bundler tsx already depends on).
 */
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = join(root, 'src', 'cli') + sep;
const outDir = join(root, 'dist', 'cli');
const outFile = join(outDir, 'bbws.mjs');

/**
 * Modules outside src/cli that go into the bundle all the same: what every command that makes an
 * API call loads (the platform file's path, minting the CLI's token), ~8 ES modules otherwise. Only modules of functions and constants: a class or module state would exist twice in
 * `bbws up`, once here and once in dist/src, so the build refuses an inlined module that declares a
 * class (BbwsError, imported by jwt-sign.ts, stays external and one).
 */
const INLINED = new Set(['main/platform-file.js', 'adapters/auth/jwt-sign.js', 'domain/auth.js', 'domain/naming.js']);

function assertNoClass(fromSrc) {
  const file = join(root, 'src', fromSrc.replace(/\.js$/, '.ts'));
  if (/^\s*(export\s+)?(abstract\s+)?class\s/m.test(readFileSync(file, 'utf8'))) throw new Error(`${file} declares a class: it cannot be inlined into the CLI bundle (INLINED in scripts/bundle-cli.mjs)`);
}

/** `../../main/platform.js` imported from src/cli/... → external `../src/main/platform.js` (tsc's output). */
const platformModulesExternal = {
  name: 'platform-modules-external',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (!args.importer.startsWith(join(root, 'src') + sep)) return undefined; // inside a package: bundled as is
      const target = resolve(args.resolveDir, args.path);
      if (target.startsWith(cliDir)) return undefined;
      const fromSrc = relative(join(root, 'src'), target);
      if (fromSrc.startsWith('..')) throw new Error(`${args.importer} imports ${args.path}, outside src/`);
      if (INLINED.has(fromSrc.split(sep).join('/'))) {
        assertNoClass(fromSrc);
        return undefined;
      }
      const path = relative(dirname(outFile), join(root, 'dist', 'src', fromSrc)).split(sep).join('/');
      return { path: path.startsWith('.') ? path : `./${path}`, external: true };
    });
  },
};

/**
 * commander requires node:child_process at load, for executable subcommands, which bbws has none
 * of; loading it (and dgram, net's socket list) costs every start ~4 ms of CPU. The bundle gets it
 * on first use instead: the same module, loaded by the same require, later or never.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (args.importer.includes(`${sep}node_modules${sep}commander${sep}`) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
      loader: 'js',
      contents: "let loaded; module.exports = new Proxy({}, { get: (_, name) => (loaded ??= require('node:child_process'))[name] });",
    }));
  },
};

rmSync(outDir, { recursive: true, force: true }); // no chunk of an earlier build stays behind
await build({
  // bbws.mjs: main.ts, which answers --help and --version itself; program.mjs: commander and the rest.
  entryPoints: { bbws: join(root, 'src', 'cli', 'main.ts'), program: join(root, 'src', 'cli', 'program.ts') },
  outdir: outDir,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // commander is CommonJS: its require() of node built-ins needs a real require in an ES module.
  banner: { js: "import { createRequire as bbwsCreateRequire } from 'node:module'; const require = bbwsCreateRequire(import.meta.url);" },
  // Every package but commander is loaded at run time from node_modules, like tsc's output does.
  external: ['fastify', '@fastify/*', 'better-sqlite3', 'pino', 'jose', 'mysql2', 'prom-client', '@sinclair/typebox', 'yauzl', '@secretlint/*', 'autocannon'],
  plugins: [platformModulesExternal, lazyChildProcess],
  legalComments: 'none',
  logLevel: 'warning',
});

// The commands' summaries and the root's help, from the program just built: `bbws --help` and
// `--version` then load no command's definitions, nor commander when stdout is not a terminal
// (src/cli/command-summaries.ts, src/cli/quick-answers.ts).
const cliMain = await import(pathToFileURL(outFile).href);
const program = await import(pathToFileURL(join(outDir, 'program.mjs')).href);
const texts = await program.buildTimeTexts();
writeFileSync(join(outDir, program.SUMMARIES_FILE), texts.summaries);
writeFileSync(join(outDir, cliMain.ROOT_HELP_FILE), texts.rootHelp);
