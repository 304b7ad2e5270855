#!/usr/bin/env node
// Entry point: runs the compiled CLI (built by `npm ci` / `npm run build`). Errors are reported by
// the CLI itself; this only covers a missing or broken build, in one line.
import('../dist/cli/bbws.mjs').then(
  (m) => m.main(process.argv),
  (err) => {
    const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/bbws.mjs');
    process.stderr.write(missing ? 'bbws: the CLI is not built yet; run `npm run build` (or `npm ci`) in the repository first.\n' : `bbws: cannot load the CLI (${err?.message ?? err}); run \`npm run build\` again.\n`);
    process.exit(1);
  },
);
