/**
 * `bbws emulators start`: runs DynamoDB Local and fauxqs (SQS + SNS) in the foreground for the AWS
 * adapters (docs/aws.md), prints the `BBWS_…=value` settings that point `bbws up` at them, and
 * stops both on SIGINT/SIGTERM (DynamoDB Local by its PID).
 */
import type { Command } from 'commander';
import { CliError } from '../api-client.js';
import { printJson } from '../output.js';

const emulators = () => import('../../adapters/aws/emulators.js');

const parsePort = (value: string) => {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`Not a port: ${value}. Give 0-65535 (0 picks a free one).`);
  return port;
};

export function registerEmulatorCommands(program: Command): void {
  const cmd = program.command('emulators').description('local AWS emulators for the AWS adapters (DynamoDB Local, fauxqs)');
  cmd
    .command('start')
    .description('start DynamoDB Local and fauxqs in the foreground; print the BBWS_* settings for `bbws up`; Ctrl-C stops them')
    .option('--dir <dir>', 'keep DynamoDB tables in files in this directory (default: in memory)')
    .option('--dynamodb-port <port>', 'DynamoDB Local port (default: a free one)', parsePort)
    .option('--sqs-port <port>', 'fauxqs (SQS and SNS) port (default: a free one)', parsePort)
    .action(async (opts: { dir?: string; dynamodbPort?: number; sqsPort?: number; json?: boolean }) => {
      const { startDynamoDbLocal, startFauxqsEmulator, EMULATOR_CREDENTIALS, EMULATOR_REGION } = await emulators();
      const log = (line: string) => process.stderr.write(`${line}\n`);
      log('Starting DynamoDB Local (Java)…');
      const dynamo = await startDynamoDbLocal({ port: opts.dynamodbPort || undefined, dbDir: opts.dir ?? null }).catch((err: Error) => {
        throw new CliError(`${err.message}. DynamoDB Local needs Java 17: apt-get install openjdk-17-jre-headless.`);
      });
      let sqs;
      try {
        log('Starting fauxqs (SQS, SNS)…');
        sqs = await startFauxqsEmulator({ port: opts.sqsPort ?? 0 });
      } catch (err) {
        await dynamo.stop();
        throw new CliError(`fauxqs did not start: ${(err as Error).message}. Pick another --sqs-port.`);
      }
      const settings = {
        BBWS_STATE: 'dynamodb',
        BBWS_QUEUES: 'sqs',
        BBWS_DYNAMODB_ENDPOINT: dynamo.endpoint,
        BBWS_SQS_ENDPOINT: sqs.endpoint,
        BBWS_SNS_ENDPOINT: sqs.endpoint,
        AWS_REGION: EMULATOR_REGION,
        AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      };
      if (opts.json) printJson({ settings, pids: { dynamodbLocal: dynamo.pid, fauxqs: process.pid } });
      else process.stdout.write(Object.entries(settings).map(([k, v]) => `${k}=${v}\n`).join(''));
      log(`DynamoDB Local on ${dynamo.endpoint} (pid ${dynamo.pid}), fauxqs on ${sqs.endpoint}. Ctrl-C stops them.`);
      const running = sqs;
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log(`${signal}: stopping the emulators…`);
          void Promise.allSettled([dynamo.stop(), running.stop()]).then(() => resolve());
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
