/**
 * The CLI's top-level commands, by the module that defines them, in the order `bbws --help` lists
 * them. Each module is loaded with `import()` (its own chunk in the bundle, scripts/bundle-cli.mjs),
 * so a command loads the definitions and code of its own group only; `help` and anything not
 * recognised load every group, which is exactly the program as a whole (`--help` and `--version`:
 * command-summaries.ts).
 */
import type { Command } from 'commander';
import { afterGlobalOptions } from './command-summaries.js';

type Register = (program: Command) => void;

interface CommandGroup {
  /** The top-level command names the module registers. */
  names: readonly string[];
  load(): Promise<Register>;
}

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { names: ['up', 'api', 'worker', 'event-handler', 'alarm-evaluator', 'reconciler'], load: async () => (await import('./commands/up.command.js')).registerUpCommands },
  { names: ['setup'], load: async () => (await import('./commands/setup.command.js')).registerSetupCommand },
  { names: ['token'], load: async () => (await import('./commands/token.command.js')).registerTokenCommand },
  { names: ['tenants'], load: async () => (await import('./commands/tenants.command.js')).registerTenantCommands },
  { names: ['operations', 'queues', 'dlq', 'events', 'edge'], load: async () => (await import('./commands/admin.command.js')).registerAdminCommands },
  { names: ['certs'], load: async () => (await import('./commands/certs.command.js')).registerCertsCommands },
  { names: ['audit'], load: async () => (await import('./commands/audit.command.js')).registerAuditCommands },
  { names: ['doctor'], load: async () => (await import('./commands/doctor.command.js')).registerDoctorCommand },
  { names: ['security-scan'], load: async () => (await import('./commands/security-scan.command.js')).registerSecurityScanCommand },
  { names: ['security'], load: async () => (await import('./commands/security.command.js')).registerSecurityCommands },
  { names: ['perf-test'], load: async () => (await import('./commands/perf-test.command.js')).registerPerfTestCommand },
  { names: ['sites'], load: async () => (await import('./commands/sites.command.js')).registerSiteCommands },
  { names: ['templates'], load: async () => (await import('./commands/templates.command.js')).registerTemplateCommands },
  { names: ['plugins'], load: async () => (await import('./commands/plugins.command.js')).registerPluginCommands },
  { names: ['webhooks'], load: async () => (await import('./commands/webhooks.command.js')).registerWebhookCommands },
  { names: ['logs'], load: async () => (await import('./commands/logs.command.js')).registerLogCommands },
  { names: ['alarms'], load: async () => (await import('./commands/alarms.command.js')).registerAlarmCommands },
  { names: ['backup', 'restore'], load: async () => (await import('./commands/backups.command.js')).registerBackupCommands },
  { names: ['secrets'], load: async () => (await import('./commands/secrets.command.js')).registerSecretCommands },
  { names: ['cleanup'], load: async () => (await import('./commands/cleanup.command.js')).registerCleanupCommand },
  { names: ['emulators'], load: async () => (await import('./commands/emulators.command.js')).registerEmulatorCommands },
];

/**
 * The top-level command `args` (argv without node and the script) runs, when it is plain to see:
 * the first argument after the global options (`bbws --data-dir X tenants list`), if it names a
 * command. Anything else (`--help`, `help`, an unknown option or name) gives null: the whole
 * program is then defined, and commander answers as it always did.
 */
export function commandNameOf(args: readonly string[]): string | null {
  const first = afterGlobalOptions(args)[0];
  return first !== undefined && COMMAND_GROUPS.some((g) => g.names.includes(first)) ? first : null;
}

/** The register functions for `args`: the one group that defines its command, or every group. */
export async function commandGroupsFor(args: readonly string[]): Promise<Register[]> {
  const name = commandNameOf(args);
  const groups = name === null ? COMMAND_GROUPS : COMMAND_GROUPS.filter((g) => g.names.includes(name));
  return Promise.all(groups.map((g) => g.load()));
}
