/**
 * Where the control plane keeps its state and queues: SQLite (the embedded default) or DynamoDB
 * and SQS (`bbws up --state dynamodb --queues sqs`, the Lambda handlers). Parses and checks
 * the settings (aws-state.ts opens the adapters; docs/aws.md).
 *
 * | flag | environment | default |
 * |---|---|---|
 * | `--state` | `BBWS_STATE` | `sqlite` (`dynamodb`) |
 * | `--queues` | `BBWS_QUEUES` | `sqlite` (`sqs`; goes with `--state dynamodb`) |
 * | `--aws-endpoint` | `BBWS_AWS_ENDPOINT` | the AWS endpoints (one URL for every service, e.g. an emulator) |
 * | | `BBWS_DYNAMODB_ENDPOINT`, `BBWS_SQS_ENDPOINT`, `BBWS_SNS_ENDPOINT`, `BBWS_SECRETS_ENDPOINT` | `BBWS_AWS_ENDPOINT` |
 * | | `BBWS_TABLE_NAME` | `bbws-<env>-state` |
 * | `--secrets` | `BBWS_SECRETS` | `local` (`secretsmanager`: AWS Secrets Manager; the Lambda handlers default to it) |
 */
import type { Environment } from '../domain/naming.js';
import { ConfigError } from './config.js';

export interface StateSettings {
  state: 'sqlite' | 'dynamodb';
  queues: 'sqlite' | 'sqs';
  endpoints: { dynamodb?: string; sqs?: string; sns?: string; secrets?: string };
  /** Where secrets and the JWT signing key live: the data dir's encrypted store, or Secrets Manager. */
  secrets: 'local' | 'secretsmanager';
  tableName: string;
  region: string;
}

export interface StateFlags {
  state?: string;
  queues?: string;
  awsEndpoint?: string;
  secrets?: string;
}

function endpoint(setting: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(setting, `expected an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(setting, `expected an http(s) URL, got "${value}"`);
  return url.toString().replace(/\/$/, '');
}

export function parseStateSettings(flags: StateFlags, env: Environment, vars: NodeJS.ProcessEnv = process.env): StateSettings {
  const state = flags.state ?? vars.BBWS_STATE ?? 'sqlite';
  const queues = flags.queues ?? vars.BBWS_QUEUES ?? (state === 'dynamodb' ? 'sqs' : 'sqlite');
  if (state !== 'sqlite' && state !== 'dynamodb') throw new ConfigError('--state / BBWS_STATE', `expected sqlite or dynamodb, got "${state}"`);
  if (queues !== 'sqlite' && queues !== 'sqs') throw new ConfigError('--queues / BBWS_QUEUES', `expected sqlite or sqs, got "${queues}"`);
  // A commit enqueues in the store's own transaction: SQLite state needs SQLite queues, DynamoDB's outbox relays to SQS.
  if ((state === 'dynamodb') !== (queues === 'sqs')) {
    throw new ConfigError('--queues / BBWS_QUEUES', `--state ${state} goes with --queues ${state === 'dynamodb' ? 'sqs' : 'sqlite'} (a commit and its messages are written together)`);
  }
  const secrets = flags.secrets ?? vars.BBWS_SECRETS ?? 'local';
  if (secrets !== 'local' && secrets !== 'secretsmanager') throw new ConfigError('--secrets / BBWS_SECRETS', `expected local or secretsmanager, got "${secrets}"`);
  const any = endpoint('--aws-endpoint / BBWS_AWS_ENDPOINT', flags.awsEndpoint ?? vars.BBWS_AWS_ENDPOINT);
  const tableName = vars.BBWS_TABLE_NAME || `bbws-${env}-state`;
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) throw new ConfigError('BBWS_TABLE_NAME', `expected 3-255 letters, digits, _ . -, got "${tableName}"`);
  return {
    state,
    queues,
    endpoints: {
      dynamodb: endpoint('BBWS_DYNAMODB_ENDPOINT', vars.BBWS_DYNAMODB_ENDPOINT) ?? any,
      sqs: endpoint('BBWS_SQS_ENDPOINT', vars.BBWS_SQS_ENDPOINT) ?? any,
      sns: endpoint('BBWS_SNS_ENDPOINT', vars.BBWS_SNS_ENDPOINT) ?? any,
      secrets: endpoint('BBWS_SECRETS_ENDPOINT', vars.BBWS_SECRETS_ENDPOINT) ?? any,
    },
    secrets,
    tableName,
    region: vars.AWS_REGION || vars.AWS_DEFAULT_REGION || 'us-east-1',
  };
}
