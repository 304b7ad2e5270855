/**
 * The CLI defines only what a command needs (docs/benchmarks.md "CLI start"): one group of commands
 * for a command it can see in argv, the commands' summaries for the root's help and version, and
 * the whole program otherwise. Each shortcut must answer exactly as the whole program does.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_GROUPS, commandNameOf } from '../../src/cli/command-groups.js';
import { isRootRequest, summariesOf } from '../../src/cli/command-summaries.js';
import { buildProgram } from '../../src/cli/program.js';

const withWidth = (program: Command, width: number) => program.configureOutput({ getOutHelpWidth: () => width, getErrHelpWidth: () => width });

describe('the command groups', () => {
  it('name exactly the top-level commands each module registers, in the order of the whole program', async () => {
    const registered: string[] = [];
    for (const group of COMMAND_GROUPS) {
      const program = new Command('bbws');
      (await group.load())(program);
      expect(program.commands.map((c) => c.name())).toEqual(group.names);
      registered.push(...group.names);
    }
    expect((await buildProgram([], { summaries: null })).commands.map((c) => c.name())).toEqual(registered);
  });

  it('are chosen by the first argument after the global options, and only when that is plain', () => {
    expect(commandNameOf(['tenants', 'list'])).toBe('tenants');
    expect(commandNameOf(['--data-dir', '/x', '--json', 'tenants', 'list'])).toBe('tenants');
    expect(commandNameOf(['--api-url=http://h', 'restore', '--undo'])).toBe('restore');
    expect(commandNameOf(['--token', 'tenants', 'list'])).toBeNull(); // "tenants" is the token: commander sees `list`
    expect(commandNameOf(['--help', 'tenants'])).toBeNull();
    expect(commandNameOf(['-V'])).toBeNull();
    expect(commandNameOf(['help', 'tenants'])).toBeNull();
    expect(commandNameOf(['tenant', 'list'])).toBeNull();
    expect(commandNameOf(['--bogus', 'tenants'])).toBeNull();
    expect(commandNameOf([])).toBeNull();
  });

  it('a group alone parses its commands as the whole program does', async () => {
    const one = await buildProgram(['tenants', 'list']);
    expect(one.commands.map((c) => c.name())).toEqual(['tenants']);
    const help = async (p: Command) => withWidth(p, 80).commands.find((c) => c.name() === 'tenants')!.helpInformation();
    expect(await help(one)).toBe(await help(await buildProgram([], { summaries: null })));
  });
});

describe("the root's help from the commands' summaries", () => {
  it('is used for bbws, --help, -h, --version and -V only', () => {
    for (const args of [[], ['--help'], ['-h'], ['--version'], ['-V'], ['--data-dir', 'x', '--help'], ['--json']]) expect(isRootRequest(args), args.join(' ')).toBe(true);
    for (const args of [['help'], ['tenants'], ['--help', 'tenants'], ['-V', 'tenants'], ['--bogus'], ['--token', '--help', 'x']]) expect(isRootRequest(args), args.join(' ')).toBe(false);
  });

  it("reads as the whole program's at any width", async () => {
    const whole = await buildProgram([], { summaries: null });
    const summaries = summariesOf(whole);
    const fromSummaries = await buildProgram(['--help'], { summaries });
    expect(fromSummaries.commands.every((c) => c.commands.length === 0)).toBe(true);
    for (const width of [40, 80, 132, 300]) expect(withWidth(fromSummaries, width).helpInformation(), `width ${width}`).toBe(withWidth(whole, width).helpInformation());
  });
});
