/**
 * The sites end-to-end suite (sites.suite.ts) with the control plane on the AWS adapters, as
 * `bbws up --state dynamodb --queues sqs` runs it: DynamoDB Local, fauxqs (SQS and SNS), tenants on
 * the real local runtime. Tenant create -> ACTIVE -> homepage, sites, clone, promote, DLQ redrive and
 * webhooks (through the SNS topic) as on SQLite.
 */
import { randomUUID } from 'node:crypto';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startFauxqsEmulator } from '../../src/adapters/aws/emulators.js';
import { parseStateSettings } from '../../src/main/state-settings.js';
import { sharedDynamoDbLocal } from '../support/aws-harness.js';
import { startLocalPlatform } from '../support/platform-local-harness.js';
import { describeSitesEndToEnd } from './sites.suite.js';

describeSitesEndToEnd('DynamoDB + SQS + SNS', async () => {
  const ddb = await sharedDynamoDbLocal();
  const fauxqs = await startFauxqsEmulator();
  const vars = {
    BBWS_STATE: 'dynamodb',
    BBWS_DYNAMODB_ENDPOINT: ddb.endpoint,
    BBWS_SQS_ENDPOINT: fauxqs.endpoint,
    BBWS_SNS_ENDPOINT: fauxqs.endpoint,
    BBWS_TABLE_NAME: `bbws-e2e-${randomUUID()}`,
    AWS_REGION: EMULATOR_REGION,
  };
  // The SDK reads region and credentials from the environment, as on AWS.
  Object.assign(process.env, { AWS_REGION: EMULATOR_REGION, AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey });
  try {
    return await startLocalPlatform({}, { state: parseStateSettings({}, 'dev', vars), onStop: () => fauxqs.stop() });
  } catch (err) {
    await fauxqs.stop();
    throw err;
  }
});
