/**
 * `bbws`: the operator CLI. Every command takes `--data-dir` (default ./.bbws, or BBWS_DATA_DIR)
 * and finds the running platform from it; `--json` prints machine-readable output.
 */
import { Command, CommanderError } from 'commander';
import { CliError } from './api-client.js';
import { registerAdminCommands } from './commands/admin.command.js';
import { registerTenantCommands } from './commands/tenants.command.js';
import { registerTokenCommand } from './commands/token.command.js';
import { registerUpCommands } from './commands/up.command.js';
import { registerSetupCommand } from './commands/setup.command.js';
import { registerSiteCommands } from './commands/sites.command.js';
import { registerPluginCommands } from './commands/plugins.command.js';
import { registerWebhookCommands } from './commands/webhooks.command.js';
import { BbwsError } from '../domain/errors.js';
import { ConfigError } from '../main/config.js';

export function buildProgram(): Command {
  const program = new Command('bbws')
    .description('BBWS multi-tenant WordPress hosting platform')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerUpCommands(program);
  registerSetupCommand(program);
  registerTokenCommand(program);
  registerTenantCommands(program);
  registerAdminCommands(program);
  registerSiteCommands(program);
  registerPluginCommands(program);
  registerWebhookCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof CliError || err instanceof ConfigError || err instanceof BbwsError) {
      process.stderr.write(`bbws: ${err.message}\n`);
      process.exitCode = err instanceof CliError ? err.exitCode : 2;
      return;
    }
    throw err;
  }
}
