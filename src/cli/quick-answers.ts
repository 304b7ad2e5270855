/**
 * `bbws --version` and `bbws --help` without commander (about a third of what the CLI adds to
 * Node's own start): the version from package.json, and the root's help as the build wrote it from
 * the whole program (scripts/bundle-cli.mjs, program.ts `buildTimeTexts`). That text is what
 * commander prints when stdout is not a terminal (80 columns); on a terminal, at its width,
 * commander renders it (command-summaries.ts). Run from source there is no such file.
 */
import { readFileSync } from 'node:fs';
import { packageVersion } from './version.js';

export const ROOT_HELP_FILE = 'root-help.txt';

/** Answers `args` (argv without node and the script) when they are exactly a version or help request; false otherwise. */
export function answerQuickly(args: readonly string[]): boolean {
  if (args.length !== 1) return false;
  if (args[0] === '--version' || args[0] === '-V') {
    process.stdout.write(`${packageVersion()}\n`);
    return true;
  }
  if ((args[0] === '--help' || args[0] === '-h') && !process.stdout.isTTY) {
    const help = prebuiltRootHelp();
    if (help === null) return false;
    process.stdout.write(help);
    return true;
  }
  return false;
}

function prebuiltRootHelp(): string | null {
  try {
    return readFileSync(new URL(`./${ROOT_HELP_FILE}`, import.meta.url), 'utf8');
  } catch {
    return null;
  }
}
