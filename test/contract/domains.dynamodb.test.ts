/** Runs the DomainRegistry contract against the DynamoDB adapter, on DynamoDB Local (a fresh table per test). */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDomainRegistry } from '../../src/adapters/aws/dynamodb-domains.js';
import { ensureStoreTable } from '../../src/adapters/aws/dynamodb-items.js';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from '../../src/adapters/aws/emulators.js';
import { sharedDynamoDbLocal } from '../support/aws-harness.js';
import { describeDomainRegistryContract } from './domains.contract.js';

describeDomainRegistryContract('dynamodb', async () => {
  const ddb = await sharedDynamoDbLocal();
  const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
  const tableName = `bbws-domains-${randomUUID()}`;
  await ensureStoreTable(client, tableName);
  return {
    registry: createDynamoDomainRegistry({ client, tableName }),
    cleanup: async () => {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
});
