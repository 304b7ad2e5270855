/**
 * A FAKE of AWS Secrets Manager (no emulator of it is reachable here), built on aws-sdk-client-mock:
 * the real SDK client and commands, answered from a Map the way the service's API reference
 * says: ResourceExistsException on CreateSecret of an existing name, ResourceNotFoundException
 * for a missing one, ListSecrets paged by NextToken with a `name` prefix filter, each entry with its CreatedDate and
 * LastChangedDate. `{ everyClient: true }` answers for every SecretsManagerClient made in this process
 * (the platform makes its own), not only the one returned.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

export function createFakeSecretsManager(options: { everyClient?: boolean } = {}): { client: SecretsManagerClient; stored: Map<string, string>; restore: () => void } {
  const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' } });
  const stored = new Map<string, string>();
  /** CreatedDate and LastChangedDate of each secret, as ListSecrets answers them. */
  const dates = new Map<string, { created: Date; changed: Date }>();
  const meta = { $metadata: {} };
  const notFound = () => new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} });
  const mock = options.everyClient ? mockClient(SecretsManagerClient) : mockClient(client);
  mock.on(CreateSecretCommand).callsFake((input) => {
    if (stored.has(input.Name)) throw new ResourceExistsException({ message: `The operation failed because the secret ${input.Name} already exists.`, $metadata: {} });
    stored.set(input.Name, input.SecretString);
    dates.set(input.Name, { created: new Date(), changed: new Date() });
    return { Name: input.Name };
  });
  mock.on(PutSecretValueCommand).callsFake((input) => {
    if (!stored.has(input.SecretId)) throw notFound();
    stored.set(input.SecretId, input.SecretString);
    dates.set(input.SecretId, { created: dates.get(input.SecretId)?.created ?? new Date(), changed: new Date() });
    return { Name: input.SecretId };
  });
  mock.on(GetSecretValueCommand).callsFake((input) => {
    if (!stored.has(input.SecretId)) throw notFound();
    return { Name: input.SecretId, SecretString: stored.get(input.SecretId) };
  });
  mock.on(DeleteSecretCommand).callsFake((input) => {
    if (!stored.delete(input.SecretId)) throw notFound();
    dates.delete(input.SecretId);
    return { Name: input.SecretId };
  });
  mock.on(ListSecretsCommand).callsFake((input) => {
    const prefix: string | undefined = input.Filters?.find((f: { Key: string }) => f.Key === 'name')?.Values?.[0];
    const names = [...stored.keys()].filter((n) => !prefix || n.startsWith(prefix)).sort();
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const size = input.MaxResults ?? 100;
    const page = names.slice(start, start + size);
    return { ...meta, SecretList: page.map((Name) => ({ Name, CreatedDate: dates.get(Name)?.created, LastChangedDate: dates.get(Name)?.changed })), NextToken: start + size < names.length ? String(start + size) : undefined };
  });
  return { client, stored, restore: () => mock.restore() };
}
