/**
 * The Secrets port on AWS Secrets Manager (AWS SDK v3). Names are used as given: seed 003's
 * `<env>-<tenant>-db-credentials`. Encryption at rest is Secrets Manager's (KMS); values never
 * pass through a log line here. No emulator of Secrets Manager is reachable from this machine: the
 * adapter is tested against a fake of the SDK (test/support/fake-secrets-manager.ts, with
 * aws-sdk-client-mock) that answers the way the service documents, errors included.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { isValidSecretName } from '../../domain/secret-names.js';
import type { SecretAge, Secrets } from '../../ports/secrets.js';

const named = (err: unknown, name: string) => (err as { name?: string }).name === name;

/** The same names as the local store (domain/secret-names.ts): one rule whatever the adapter. */
function checkName(name: string): string {
  if (!isValidSecretName(name)) throw new Error(`invalid secret name ${JSON.stringify(String(name)).slice(0, 80)}`);
  return name;
}

/** Every secret's name and last change (a new value: PutSecretValue sets LastChangedDate), sorted by name. */
async function listEntries(client: SecretsManagerClient, prefix: string | undefined): Promise<SecretAge[]> {
  const out: SecretAge[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListSecretsCommand({ NextToken: token, MaxResults: 100, ...(prefix ? { Filters: [{ Key: 'name', Values: [prefix] }] } : {}) }));
    // The name filter matches prefixes of words too; keep true prefixes only.
    for (const s of page.SecretList ?? []) {
      if (!s.Name || (prefix && !s.Name.startsWith(prefix))) continue;
      const at = s.LastChangedDate ?? s.CreatedDate;
      out.push({ name: s.Name, updatedAt: (at ? new Date(at) : new Date(0)).toISOString() });
    }
    token = page.NextToken;
  } while (token);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The value of the secret `name`, creating it with `make()` if it does not exist. When several
 * processes create it at once (Lambda instances starting together), CreateSecret lets one win and
 * every one of them reads and returns the winner's value.
 */
export async function getOrCreateSecret(client: SecretsManagerClient, name: string, make: () => string): Promise<string> {
  const read = async () => (await client.send(new GetSecretValueCommand({ SecretId: checkName(name) }))).SecretString;
  try {
    const found = await read();
    if (found !== undefined) return found;
  } catch (err) {
    if (!named(err, 'ResourceNotFoundException')) throw err;
  }
  try {
    await client.send(new CreateSecretCommand({ Name: name, SecretString: make() }));
  } catch (err) {
    if (!named(err, 'ResourceExistsException')) throw err;
  }
  const value = await read();
  if (value === undefined) throw new Error(`the secret ${name} has no string value`);
  return value;
}

export function createSecretsManagerSecrets(options: { client: SecretsManagerClient }): Secrets {
  const { client } = options;
  return {
    async put(name, value) {
      try {
        await client.send(new CreateSecretCommand({ Name: checkName(name), SecretString: value }));
      } catch (err) {
        if (!named(err, 'ResourceExistsException')) throw err;
        await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
      }
    },
    async get(name) {
      try {
        return (await client.send(new GetSecretValueCommand({ SecretId: checkName(name) }))).SecretString;
      } catch (err) {
        if (named(err, 'ResourceNotFoundException')) return undefined;
        throw err;
      }
    },
    async delete(name) {
      try {
        // No recovery window: the platform deletes a tenant's credentials with its database.
        await client.send(new DeleteSecretCommand({ SecretId: checkName(name), ForceDeleteWithoutRecovery: true }));
      } catch (err) {
        if (!named(err, 'ResourceNotFoundException')) throw err;
      }
    },
    list: async (prefix) => (await listEntries(client, prefix)).map((e) => e.name),
    listAges: (prefix) => listEntries(client, prefix),
  };
}
