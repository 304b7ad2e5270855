/**
 * `bbws`: the operator CLI. The global options (`--data-dir`, default ./.bbws or BBWS_DATA_DIR;
 * `--api-url`, `--token`, `--json`) go before or after the subcommand.
 *
 * Start-up time matters (every command is a new process, and scripts run many): this module and
 * the command modules load only commander and what defining the commands needs; each command's
 * action imports the heavy parts it uses (the platform, the JWT library, the plugin scanner).
 * docs/benchmarks.md "CLI start" has the figures.
 */
import { Command, CommanderError } from 'commander';
import { CliError } from './api-client.js';
import { registerAdminCommands } from './commands/admin.command.js';
import { registerCertsCommands } from './commands/certs.command.js';
import { registerAuditCommands } from './commands/audit.command.js';
import { registerBackupCommands } from './commands/backups.command.js';
import { registerEmulatorCommands } from './commands/emulators.command.js';
import { addGlobalOptions } from './commands/common.js';
import { registerAlarmCommands } from './commands/alarms.command.js';
import { registerLogCommands } from './commands/logs.command.js';
import { registerDoctorCommand } from './commands/doctor.command.js';
import { registerPerfTestCommand } from './commands/perf-test.command.js';
import { registerPluginCommands } from './commands/plugins.command.js';
import { registerSecretCommands } from './commands/secrets.command.js';
import { registerCleanupCommand } from './commands/cleanup.command.js';
import { registerSecurityCommands } from './commands/security.command.js';
import { registerSecurityScanCommand } from './commands/security-scan.command.js';
import { registerSetupCommand } from './commands/setup.command.js';
import { registerSiteCommands } from './commands/sites.command.js';
import { registerTemplateCommands } from './commands/templates.command.js';
import { registerTenantCommands } from './commands/tenants.command.js';
import { registerTokenCommand } from './commands/token.command.js';
import { registerUpCommands } from './commands/up.command.js';
import { registerWebhookCommands } from './commands/webhooks.command.js';
import { exitQuietlyWhenOutputCloses, reportUnexpectedError } from './process-errors.js';
import { packageVersion } from './version.js';
import { BbwsError } from '../domain/errors.js';
import { ConfigError } from '../main/config.js';
import { StartupError } from '../ports/startup-error.js';

export function buildProgram(): Command {
  const program = addGlobalOptions(
    new Command('bbws')
      .description('BBWS multi-tenant WordPress hosting platform')
      .version(packageVersion(), '-V, --version', 'print the version')
      .showHelpAfterError('(run with --help for usage)')
      .exitOverride(),
  );
  registerUpCommands(program);
  registerSetupCommand(program);
  registerTokenCommand(program);
  registerTenantCommands(program);
  registerAdminCommands(program);
  registerCertsCommands(program);
  registerAuditCommands(program);
  registerDoctorCommand(program);
  registerSecurityScanCommand(program);
  registerSecurityCommands(program);
  registerPerfTestCommand(program);
  registerSiteCommands(program);
  registerTemplateCommands(program);
  registerPluginCommands(program);
  registerWebhookCommands(program);
  registerLogCommands(program);
  registerAlarmCommands(program);
  registerBackupCommands(program);
  registerSecretCommands(program);
  registerCleanupCommand(program);
  registerEmulatorCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  exitQuietlyWhenOutputCloses();
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof CliError || err instanceof ConfigError || err instanceof BbwsError || err instanceof StartupError) {
      process.stderr.write(`bbws: ${err.message}\n`);
      process.exitCode = err instanceof CliError ? err.exitCode : 2;
      return;
    }
    reportUnexpectedError(err, argv);
  }
}
