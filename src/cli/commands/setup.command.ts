/**
 * `bbws setup`: installs the Debian packages the local runtime needs (idempotent; as a non-root
 * user it prints the exact commands instead and exits non-zero).
 */
import type { Command } from 'commander';

/** Loaded when a command needs it, not for `bbws --help`. */
const prerequisites = () => import('../../adapters/runtime/local/prerequisites.js');
import { CliError } from '../api-client.js';
import { printJson } from '../output.js';

export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description('install missing Debian packages: MariaDB, php-fpm and PHP extensions, nginx, WordPress and its default theme')
    .option('--dry-run', 'print what would be installed')
    .option('--check', 'only report what is missing (exit 1 if anything is)')
    .action(async (opts: { dryRun?: boolean; check?: boolean; json?: boolean }) => {
      const { checkPrerequisites, installPrerequisites, packagesFor } = await prerequisites();
      if (opts.check) {
        const missing = await checkPrerequisites();
        if (opts.json) printJson({ missing, packages: packagesFor(missing) });
        else process.stdout.write(missing.length ? missing.map((m) => `missing: ${m.what} (package ${m.package})\n`).join('') : 'All prerequisites are installed.\n');
        if (missing.length) process.exitCode = 1;
        return;
      }
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const result = await installPrerequisites({ dryRun: opts.dryRun, log });
      if (opts.json) printJson(result);
      if (result.needsRoot) throw new CliError(`Installing packages needs root. Run the commands above as root, or \`sudo npx bbws setup\`.`);
      if (result.installed) log(`Installed: ${result.packages.join(' ')}`);
    });
}

/** For `bbws up`: fail fast, naming what is missing and the command that fixes it. */
export async function assertPrerequisites(): Promise<void> {
  const missing = await (await prerequisites()).checkPrerequisites();
  if (missing.length === 0) return;
  const list = missing.map((m) => `  - ${m.what} (package ${m.package})`).join('\n');
  throw new CliError(`The local runtime needs software that is not installed:\n${list}\nInstall it with \`npx bbws setup\` (as root), then run \`bbws up\` again.`);
}
