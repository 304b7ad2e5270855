/**
 * Secrets (database credentials, basic-auth passwords, site admin passwords), encrypted at rest.
 * Adapters: `adapters/secrets/local.ts` (AES-256-GCM, master key file mode 0600 in the data dir);
 * AWS Secrets Manager later. The HTTP API returns no secret value, but for the edge's basic-auth
 * password to a platform-admin (app/read-edge-basic-auth.ts, every read recorded).
 *
 * What an adapter must guarantee (contract: `test/contract/secrets.contract.ts`): values round-trip
 * exactly and are never stored or logged in plain text; a `put` replaces; `delete` of a missing
 * name is a no-op; `list` gives sorted names only; a name that could reach outside the store (a
 * path, `..`) is refused.
 */
export interface Secrets {
  /** Creates or replaces the secret `name` (e.g. `dev-acme-db-credentials`). */
  put(name: string, value: string): Promise<void>;
  get(name: string): Promise<string | undefined>;
  /** Deleting a missing secret is a no-op. */
  delete(name: string): Promise<void>;
  /** Names only, never values. */
  list(prefix?: string): Promise<string[]>;
}
