/**
 * `bbws up` runs every role in one process in the foreground; `bbws api|worker|event-handler|
 * reconciler` run one role each against the same data dir. SIGINT/SIGTERM stop cleanly.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { ConfigFlags } from '../../main/config.js';
import type { StateFlags } from '../../main/state-settings.js';
import type { PlatformRole } from '../../main/platform.js';
import { CliError } from '../api-client.js';
import { platformRestoreMarker } from '../../main/platform-file.js';

function platformOptions(cmd: Command): Command {
  return cmd
    .option('--api-port <port>', 'API port (BBWS_API_PORT, default 8080)')
    .option('--edge-port <port>', 'edge (nginx) port (BBWS_EDGE_PORT, default 8088)')
    .option('--edge-host <address>', 'address the edge listens on (BBWS_EDGE_HOST, default 127.0.0.1; 0.0.0.0 for every address)')
    .option('--env <env>', 'dev, sit or prod (BBWS_ENV, default dev)')
    .option('--base-domain <domain>', 'tenants are <tenant>.wp<env>.<domain> (BBWS_BASE_DOMAIN, default localhost)')
    .option('--mysql-url <url>', 'external MySQL instead of the embedded MariaDB (BBWS_MYSQL_URL)')
    .option('--backup-repository <restic-repo>', 'where backups go: a directory, sftp:…, s3:… (BBWS_BACKUP_REPOSITORY, default <data-dir>/backups)')
    .option('--retention <policy>', 'backups kept per tenant and site, e.g. 10l,24h,7d,4w,3m (BBWS_BACKUP_RETENTION)')
    .option('--state <store>', 'sqlite or dynamodb (BBWS_STATE, default sqlite; docs/aws.md)')
    .option('--queues <queues>', 'sqlite or sqs (BBWS_QUEUES; sqs goes with --state dynamodb)')
    .option('--aws-endpoint <url>', 'one endpoint for every AWS service, e.g. an emulator (BBWS_AWS_ENDPOINT; `bbws emulators start` prints per-service ones)')
    .option('--secrets <store>', 'local or secretsmanager: where secrets and the JWT signing key live (BBWS_SECRETS, default local; docs/aws.md)')
    .option('--tls <mode>', 'auto, manual or off: HTTPS at the edge (BBWS_TLS, default off; docs/tls.md)')
    .option('--https-port <port>', 'edge HTTPS port when --tls is not off (BBWS_HTTPS_PORT, default 8443)')
    .option('--acme-directory <url>', 'ACME CA for real domains (BBWS_ACME_DIRECTORY, default Let\'s Encrypt production)')
    .option('--acme-email <address>', 'contact address for the ACME account (BBWS_ACME_EMAIL)');
}

async function runRoles(flags: ConfigFlags & StateFlags, roles: PlatformRole[]): Promise<void> {
  // Loaded here, not at the top: the platform (fastify, SQLite, the runtime) is most of the CLI's
  // start-up time, and only these commands need it.
  const [{ parseConfig }, { startPlatform }, { createLocalRuntime, createLocalSites, createLocalBackups }, { assertPrerequisites }, { asPortError, assertPortFree }, { DataDirInUseError, assertDataDirFree }] = await Promise.all([
    import('../../main/config.js'),
    import('../../main/platform.js'),
    import('../../main/local-runtime-factory.js'),
    import('./setup.command.js'),
    import('../port-in-use.js'),
    import('../../main/data-dir-lock.js'),
  ]);
  const config = parseConfig(flags);
  const { parseStateSettings } = await import('../../main/state-settings.js');
  const state = parseStateSettings({ state: flags.state, queues: flags.queues, awsEndpoint: flags.awsEndpoint, secrets: flags.secrets }, config.env);
  // A second `bbws up` on a data dir in use: say who holds it (before its ports, which it holds too).
  const inUse = (err: unknown) => (err instanceof DataDirInUseError ? new CliError(err.message, 1) : err);
  // A platform restore that did not finish: its tenants are half there. Finish it first.
  if (existsSync(platformRestoreMarker(config.dataDir)))
    throw new CliError(`${config.dataDir} holds an unfinished platform restore (platform-restore.json): run the same \`bbws restore --platform …\` again to finish it, or remove the directory.`, 1);
  if (roles.includes('worker')) {
    try {
      assertDataDirFree(config.dataDir);
    } catch (err) {
      throw inUse(err);
    }
  }
  const ports = [
    ...(roles.includes('api') ? [{ port: config.apiPort, host: '127.0.0.1', flag: '--api-port' }] : []),
    ...(roles.includes('worker') ? [{ port: config.edgePort, host: '0.0.0.0', flag: '--edge-port' }] : []),
    ...(roles.includes('worker') && config.tls && config.tls.mode !== 'off' ? [{ port: config.tls.httpsPort, host: '0.0.0.0', flag: '--https-port' }] : []),
  ];
  for (const p of ports) await assertPortFree(p.port, p.host, p.flag);
  if (roles.includes('worker')) await assertPrerequisites();
  const platform = await startPlatform({ config, roles, state, createRuntime: roles.includes('worker') ? createLocalRuntime : undefined, createWordPress: createLocalSites, createBackupEngine: createLocalBackups }).catch((err: unknown) => {
    throw inUse(asPortError(err, ports));
  });
  const where = platform.apiUrl ? ` API ${platform.apiUrl}` : '';
  process.stderr.write(`bbws ${roles.join(', ')} running (env ${config.env}, data ${config.dataDir}).${where}${roles.includes('worker') ? ` Edge http://${config.edgeHost}:${config.edgePort}${config.tls && config.tls.mode !== 'off' ? ` https://${config.edgeHost}:${config.tls.httpsPort} (tls ${config.tls.mode})` : ''}` : ''}\nStop with Ctrl-C.\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`\n${signal}: stopping…\n`);
      platform.stop().then(resolve, (err) => {
        process.stderr.write(`bbws: error while stopping: ${(err as Error).message}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  // Jobs handed back to the queue at the stop may still hold timers: do not wait for them.
  process.exit();
}

export function registerUpCommands(program: Command): void {
  platformOptions(program.command('up').description('run the whole platform in the foreground (API, worker, event handler, reconciler, alarm evaluator)')).action((flags: ConfigFlags) =>
    runRoles(flags, ['api', 'worker', 'events', 'reconciler', 'alarms']),
  );
  platformOptions(program.command('api').description('run only the HTTP API')).action((flags: ConfigFlags) => runRoles(flags, ['api']));
  platformOptions(program.command('worker').description('run only the provisioning worker (drives the runtime)')).action((flags: ConfigFlags) => runRoles(flags, ['worker']));
  platformOptions(program.command('event-handler').description('run only the ECS event handler (events queue)')).action((flags: ConfigFlags) => runRoles(flags, ['events']));
  platformOptions(program.command('alarm-evaluator').description("run only the alarm evaluator (this process's metrics: under `bbws up` all roles')")).action((flags: ConfigFlags) => runRoles(flags, ['alarms']));
  platformOptions(program.command('reconciler').description('run only the reconciler (deadlines, queue metrics, retention)')).action((flags: ConfigFlags) => runRoles(flags, ['reconciler']));
}
