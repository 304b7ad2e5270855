import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/main/config.js';
import { parseStateSettings } from '../../src/main/state-settings.js';

describe('parseStateSettings', () => {
  it('defaults to SQLite, local secrets and the AWS endpoints', () => {
    expect(parseStateSettings({}, 'dev', {})).toEqual({ state: 'sqlite', queues: 'sqlite', secrets: 'local', endpoints: {}, tableName: 'bbws-dev-state', region: 'us-east-1' });
  });

  it('takes Secrets Manager from the flag over the environment, and one endpoint for every service', () => {
    const s = parseStateSettings({ secrets: 'secretsmanager', state: 'dynamodb' }, 'sit', { BBWS_SECRETS: 'local', BBWS_AWS_ENDPOINT: 'http://127.0.0.1:4566/', AWS_REGION: 'eu-west-1' });
    expect(s).toMatchObject({ state: 'dynamodb', queues: 'sqs', secrets: 'secretsmanager', tableName: 'bbws-sit-state', region: 'eu-west-1' });
    expect(s.endpoints).toEqual({ dynamodb: 'http://127.0.0.1:4566', sqs: 'http://127.0.0.1:4566', sns: 'http://127.0.0.1:4566', secrets: 'http://127.0.0.1:4566' });
    expect(parseStateSettings({}, 'dev', { BBWS_SECRETS: 'secretsmanager' }).secrets).toBe('secretsmanager');
  });

  it('refuses what it does not know, naming the setting', () => {
    expect(() => parseStateSettings({ secrets: 'vault' }, 'dev', {})).toThrow(ConfigError);
    expect(() => parseStateSettings({}, 'dev', { BBWS_SECRETS: 'ssm' })).toThrow(/BBWS_SECRETS.*expected local or secretsmanager/);
    expect(() => parseStateSettings({ state: 'dynamodb', queues: 'sqlite' }, 'dev', {})).toThrow(/--state dynamodb goes with --queues sqs/);
    expect(() => parseStateSettings({ awsEndpoint: 'ftp://x' }, 'dev', {})).toThrow(/http\(s\) URL/);
    expect(() => parseStateSettings({}, 'dev', { BBWS_TABLE_NAME: 'a b' })).toThrow(/BBWS_TABLE_NAME/);
  });
});
