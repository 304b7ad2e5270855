/**
 * `bbws --help`, `bbws --version` and a bare `bbws` without defining every command: the root help
 * lists only each top-level command's term ("restore [options] [backupId]") and description, which
 * `npm run build` writes to dist/cli/command-summaries.json from the real program
 * (scripts/bundle-cli.mjs). The root then gets one empty command per summary, and commander renders
 * its help, at the terminal's width, as it would for the whole program (a test compares the two).
 * Run from source, there is no such file and the whole program is defined.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';

export interface CommandSummary {
  name: string;
  /** How the root help names it, with its options and arguments. */
  term: string;
  description: string;
}

export const SUMMARIES_FILE = 'command-summaries.json';

/** What the root help says about each of `program`'s commands (the implicit `help` command aside). */
export function summariesOf(program: Command): CommandSummary[] {
  const help = program.createHelp();
  return program.commands.map((cmd) => ({ name: cmd.name(), term: help.subcommandTerm(cmd), description: help.subcommandDescription(cmd) }));
}

/** The summaries written next to the bundle, or null (run from source, or not built). */
export function readSummaries(): CommandSummary[] | null {
  try {
    return JSON.parse(readFileSync(new URL(`./${SUMMARIES_FILE}`, import.meta.url), 'utf8')) as CommandSummary[];
  } catch {
    return null;
  }
}

/** Gives `program` an empty command per summary, which its help shows with the summary's term. */
export function addCommandSummaries(program: Command, summaries: readonly CommandSummary[]): void {
  for (const s of summaries) program.command(s.name).description(s.description);
  const terms = new Map(summaries.map((s) => [s.name, s.term]));
  program.configureHelp({
    ...program.configureHelp(),
    subcommandTerm(cmd: Command) {
      return terms.get(cmd.name()) ?? Object.getPrototypeOf(this).subcommandTerm.call(this, cmd);
    },
  });
}

/** Global options that take a value (commands/common.ts), as commander reads them before the command. */
const GLOBAL_VALUE_OPTIONS = new Set(['--data-dir', '--api-url', '--token']);

/** `args` without the global options before the first other argument (`--data-dir X --json tenants list` → `tenants list`). */
export function afterGlobalOptions(args: readonly string[]): readonly string[] {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (GLOBAL_VALUE_OPTIONS.has(arg)) i++;
    else if (arg !== '--json' && ![...GLOBAL_VALUE_OPTIONS].some((o) => arg.startsWith(`${o}=`))) return args.slice(i);
  }
  return [];
}

/** `bbws`, `bbws --help|-h` and `bbws --version|-V` (after any global options): the root's own answers. */
export function isRootRequest(args: readonly string[]): boolean {
  const rest = afterGlobalOptions(args);
  return rest.length === 0 || (rest.length === 1 && ['--help', '-h', '--version', '-V'].includes(rest[0]));
}
