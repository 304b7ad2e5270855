import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';

describe('local secrets (AES-256-GCM)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bbws-secrets-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips, lists names only, deletes idempotently', async () => {
    const s = createLocalSecrets({ dir });
    await s.put('dev-acme-db-credentials', '{"password":"p"}');
    await s.put('dev-beta-db-credentials', 'x');
    expect(await s.get('dev-acme-db-credentials')).toBe('{"password":"p"}');
    expect(await s.get('missing')).toBeUndefined();
    expect(await s.list('dev-a')).toEqual(['dev-acme-db-credentials']);
    await s.delete('dev-acme-db-credentials');
    await s.delete('dev-acme-db-credentials');
    expect(await s.list()).toEqual(['dev-beta-db-credentials']);
  });

  it('creates the master key and secret files with mode 0600, and stores no plaintext', async () => {
    const s = createLocalSecrets({ dir });
    await s.put('dev-acme-db-credentials', 'plain-text-value');
    expect((await stat(join(dir, 'master.key'))).mode & 0o777).toBe(0o600);
    expect((await readFile(join(dir, 'master.key'))).length).toBe(32);
    const file = join(dir, 'dev-acme-db-credentials.secret');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).not.toContain('plain-text-value');
  });

  it('detects tampering', async () => {
    const s = createLocalSecrets({ dir });
    await s.put('a-secret', 'value');
    const file = join(dir, 'a-secret.secret');
    const env = JSON.parse(await readFile(file, 'utf8'));
    const data = Buffer.from(env.data, 'base64');
    data[0] ^= 1;
    await writeFile(file, JSON.stringify({ ...env, data: data.toString('base64') }));
    await expect(s.get('a-secret')).rejects.toThrow(/cannot be decrypted/);
  });

  it('detects a secret file copied over another name', async () => {
    const s = createLocalSecrets({ dir });
    await s.put('dev-acme-db-credentials', 'acme');
    await s.put('dev-beta-db-credentials', 'beta');
    await writeFile(join(dir, 'dev-acme-db-credentials.secret'), await readFile(join(dir, 'dev-beta-db-credentials.secret')));
    await expect(s.get('dev-acme-db-credentials')).rejects.toThrow(/cannot be decrypted/);
  });

  it('refuses to decrypt with another master key, and the error carries no value', async () => {
    await createLocalSecrets({ dir }).put('a-secret', 'top-secret-value');
    await writeFile(join(dir, 'other.key'), Buffer.alloc(32, 7), { mode: 0o600 });
    const other = createLocalSecrets({ dir, keyFile: join(dir, 'other.key') });
    const err = await other.get('a-secret').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).not.toContain('top-secret-value');
  });

  it.each(['../x', '..', 'a/b', '/etc/passwd', '', '.hidden', 'a\nb', 'a..b', 'x'.repeat(200), 'a b'])('refuses hostile name %j', async (name) => {
    const s = createLocalSecrets({ dir });
    await expect(s.put(name, 'v')).rejects.toThrow(/invalid secret name/);
    await expect(s.get(name)).rejects.toThrow(/invalid secret name/);
    await expect(s.delete(name)).rejects.toThrow(/invalid secret name/);
    expect((await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.secret'))).toEqual([]);
  });
});
