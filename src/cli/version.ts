/**
 * `bbws --version`: the version in the package's own package.json, found from this module's place
 * (src/cli when run from source, dist/src/cli when built), without loading anything else.
 */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'bbws-platform' && pkg.version) return pkg.version;
    } catch {
      /* not at this level */
    }
  }
  return 'unknown';
}
