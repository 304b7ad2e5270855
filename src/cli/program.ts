/**
 * The `bbws` program (commander): the global options (`--data-dir`, default ./.bbws or
 * BBWS_DATA_DIR; `--api-url`, `--token`, `--json`) before or after the subcommand, the commands a
 * run needs, and how their errors reach the operator. main.ts runs it.
 *
 * Start-up time matters (every command is a new process, and scripts run many): only the group of
 * commands a run names is defined (command-groups.ts), and each command's action imports the
 * heavy parts it uses (the platform, the JWT library, the plugin scanner). docs/benchmarks.md
 * "CLI start" has the figures.
 */
import { Command, CommanderError } from 'commander';
import { commandGroupsFor } from './command-groups.js';
import { addCommandSummaries, type CommandSummary, isRootRequest, readSummaries, summariesOf } from './command-summaries.js';
import { addGlobalOptions } from './global-options.js';
import { reportUnexpectedError } from './process-errors.js';
import { packageVersion } from './version.js';

/**
 * The program for `args` (argv without node and the script): the global options and the commands
 * of the group that `args` runs, or every command when that is not plain (command-groups.ts). The
 * root's own help and version need only the commands' summaries (command-summaries.ts): by
 * default those the build wrote, when `args` ask for nothing else; `summaries: null` defines the
 * commands themselves.
 */
export async function buildProgram(args: readonly string[] = [], options: { summaries?: readonly CommandSummary[] | null } = {}): Promise<Command> {
  const program = addGlobalOptions(
    new Command('bbws')
      .description('BBWS multi-tenant WordPress hosting platform')
      .version(packageVersion(), '-V, --version', 'print the version')
      .showHelpAfterError('(run with --help for usage)')
      .exitOverride(),
  );
  const summaries = isRootRequest(args) ? (options.summaries === undefined ? readSummaries() : options.summaries) : null;
  if (summaries) addCommandSummaries(program, summaries);
  else for (const register of await commandGroupsFor(args)) register(program);
  return program;
}

/**
 * The exit code of an error that is the operator's to fix, said in one line: the CLI's own
 * (CliError, with its code) and the platform's (BbwsError, ConfigError, StartupError: 2); null for
 * anything else. The classes are imported here, on the error path: an error of a class exists only
 * once its module is loaded, and `bbws --help` needs none of them.
 */
async function operatorErrorExitCode(err: unknown): Promise<number | null> {
  if (!(err instanceof Error)) return null;
  const [{ CliError }, { BbwsError }, { ConfigError }, { StartupError }] = await Promise.all([
    import('./api-client.js'),
    import('../domain/errors.js'),
    import('../main/config.js'),
    import('../ports/startup-error.js'),
  ]);
  if (err instanceof CliError) return err.exitCode;
  return err instanceof BbwsError || err instanceof ConfigError || err instanceof StartupError ? 2 : null;
}

/** Runs `argv` (node, the script, then the arguments); sets the exit code, never throws. */
export async function runProgram(argv: string[]): Promise<void> {
  try {
    await (await buildProgram(argv.slice(2))).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    const exitCode = await operatorErrorExitCode(err);
    if (exitCode !== null) {
      process.stderr.write(`bbws: ${(err as Error).message}\n`);
      process.exitCode = exitCode;
      return;
    }
    await reportUnexpectedError(err, argv);
  }
}

/**
 * What the build writes next to the bundle (scripts/bundle-cli.mjs), from the whole program: the
 * commands' summaries (command-summaries.ts) and the root's help as commander prints it when
 * stdout is not a terminal (quick-answers.ts).
 */
export async function buildTimeTexts(): Promise<{ summaries: string; rootHelp: string }> {
  const program = await buildProgram([], { summaries: null });
  let rootHelp = ''; // commander without a terminal: 80 columns, no colours
  program.configureOutput({ writeOut: (s) => (rootHelp += s), getOutHelpWidth: () => 80, getOutHasColors: () => false });
  await program.parseAsync(['node', 'bbws', '--help']).catch((err: unknown) => {
    if (!(err instanceof CommanderError && err.code === 'commander.helpDisplayed')) throw err;
  });
  return { summaries: `${JSON.stringify(summariesOf(program), null, 1)}\n`, rootHelp };
}

export { SUMMARIES_FILE } from './command-summaries.js';
