/**
 * Secrets (database credentials, basic-auth passwords, site admin passwords), encrypted at rest.
 * Adapters: `adapters/secrets/local.ts` (AES-256-GCM, master key file mode 0600 in the data dir);
 * AWS Secrets Manager later. The HTTP API returns no secret value, but for the edge's basic-auth
 * password to a platform-admin (app/read-edge-basic-auth.ts, every read recorded).
 *
 * What an adapter must guarantee (contract: `test/contract/secrets.contract.ts`): values round-trip
 * exactly and are never stored or logged in plain text; a `put` replaces; `delete` of a missing
 * name is a no-op; `list` gives sorted names only; `listAges` gives the same names with the time
 * of the last `put` of each (never a value); a name that could reach outside the store (a path,
 * `..`) is refused.
 */
export interface Secrets {
  /** Creates or replaces the secret `name` (e.g. `dev-acme-db-credentials`). */
  put(name: string, value: string): Promise<void>;
  get(name: string): Promise<string | undefined>;
  /** Deleting a missing secret is a no-op. */
  delete(name: string): Promise<void>;
  /** Names only, never values. */
  list(prefix?: string): Promise<string[]>;
  /**
   * Names with the time their value was last written (ISO 8601), sorted by name: what
   * `bbws secrets list` shows and the rotation policy measures ages against. Never values.
   */
  listAges(prefix?: string): Promise<SecretAge[]>;
}

export interface SecretAge {
  name: string;
  /** When the current value was written (the last `put`), ISO 8601. */
  updatedAt: string;
}
