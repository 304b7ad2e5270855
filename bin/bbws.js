#!/usr/bin/env node
// Entry point: runs the compiled CLI (built by `npm ci` / `npm run build`).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(err?.stack ?? String(err));
  process.exit(1);
});
