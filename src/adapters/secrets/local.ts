/**
 * Secrets encrypted at rest on this host: AES-256-GCM with a random 96-bit IV per write, one
 * file per secret (mode 0600), and a 256-bit master key in `<dir>/master.key` (mode 0600,
 * created on first use). The secret's name is the GCM additional data, so a file copied over
 * another secret's file fails authentication instead of silently answering with the wrong value.
 * Values are never logged; names are validated before they become file names.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidSecretName } from '../../domain/secret-names.js';
import type { SecretAge, Secrets } from '../../ports/secrets.js';
import { writeFileAtomic } from '../files/atomic-write.js';

const KEY_FILE = 'master.key';
const SUFFIX = '.secret';

export class SecretStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretStoreError';
  }
}

function checkName(name: unknown): string {
  if (!isValidSecretName(name)) throw new SecretStoreError(`invalid secret name ${JSON.stringify(String(name)).slice(0, 80)}`);
  return name;
}

interface Envelope {
  v: 1;
  iv: string;
  tag: string;
  data: string;
}

export interface LocalSecretsOptions {
  /** Directory of the store (created 0700). */
  dir: string;
  /** Master key file; default `<dir>/master.key`. */
  keyFile?: string;
}

const TMP_SUFFIX = '.tmp';
/** A temp file older than this is a leftover of a crash or a full disk, not a write in progress. */
const STALE_TMP_MS = 60_000;

/** Removes temp files that a killed process or a failed write left in `dir`. */
async function removeStaleTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith(TMP_SUFFIX)) continue;
    const file = join(dir, name);
    const st = await stat(file).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > STALE_TMP_MS) await rm(file, { force: true });
  }
}

async function namesIn(dir: string, prefix: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  return entries
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length))
    .filter((n) => isValidSecretName(n) && n.startsWith(prefix))
    .sort();
}

export function createLocalSecrets(options: LocalSecretsOptions): Secrets {
  const dir = options.dir;
  const keyFile = options.keyFile ?? join(dir, KEY_FILE);
  let key: Promise<Buffer> | undefined;

  const loadKey = () =>
    (key ??= (async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await removeStaleTempFiles(dir);
      try {
        const k = await readFile(keyFile);
        if (k.length !== 32) throw new SecretStoreError(`master key ${keyFile} must be 32 bytes`);
        if (((await stat(keyFile)).mode & 0o077) !== 0) await chmod(keyFile, 0o600);
        return k;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        const k = randomBytes(32);
        // 'wx': two processes starting at once must not both write a key.
        try {
          await writeFile(keyFile, k, { mode: 0o600, flag: 'wx' });
          return k;
        } catch (e2) {
          if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return readFile(keyFile);
          throw e2;
        }
      }
    })().catch((e) => {
      key = undefined;
      throw e;
    }));

  const fileOf = (name: string) => join(dir, checkName(name) + SUFFIX);

  return {
    async put(name, value) {
      const file = fileOf(name);
      if (typeof value !== 'string') throw new SecretStoreError('secret values are strings');
      const k = await loadKey();
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', k, iv);
      cipher.setAAD(Buffer.from(name));
      const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
      const env: Envelope = { v: 1, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
      // A full disk leaves no partial temp file behind (it ends in TMP_SUFFIX, swept at start too).
      await writeFileAtomic(file, JSON.stringify(env));
    },
    async get(name) {
      const file = fileOf(name);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
      const k = await loadKey();
      try {
        const env = JSON.parse(text) as Envelope;
        const decipher = createDecipheriv('aes-256-gcm', k, Buffer.from(env.iv, 'base64'));
        decipher.setAAD(Buffer.from(name));
        decipher.setAuthTag(Buffer.from(env.tag, 'base64'));
        return Buffer.concat([decipher.update(Buffer.from(env.data, 'base64')), decipher.final()]).toString('utf8');
      } catch {
        // Never echo the ciphertext or the cause: say which secret failed and why it matters.
        throw new SecretStoreError(`secret ${name} cannot be decrypted (tampered, or encrypted with another master key)`);
      }
    },
    async delete(name) {
      await rm(fileOf(name), { force: true });
    },
    list: (prefix = '') => namesIn(dir, prefix),
    async listAges(prefix = '') {
      const out: SecretAge[] = [];
      for (const name of await namesIn(dir, prefix)) {
        // A put writes a new file and renames it over the old one: its mtime is the time of the last put.
        const st = await stat(fileOf(name)).catch(() => undefined);
        if (st) out.push({ name, updatedAt: st.mtime.toISOString() });
      }
      return out;
    },
  };
}
