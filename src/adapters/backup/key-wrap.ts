/**
 * The platform's key material (the secret store's master key, the JWT signing key, the backup
 * repository's password) wrapped under an operator passphrase for a platform backup
 * (docs/backups.md "Platform backups"): scrypt (node:crypto; N = 2^15, r = 8, p = 1, a random
 * 16-byte salt) derives a 256-bit key, AES-256-GCM (random 96-bit IV) encrypts the JSON of the
 * keys, with the envelope's version and KDF parameters as additional data, so an edited parameter
 * fails authentication like a wrong passphrase does.
 *
 * A wrong passphrase and a damaged envelope are the same error to the caller:
 * BACKUP_PASSPHRASE_INVALID, and nothing is written.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, type ScryptOptions } from 'node:crypto';
import { BbwsError } from '../../domain/errors.js';

export interface WrappedKeys {
  v: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: 'aes-256-gcm';
  iv: string;
  tag: string;
  data: string;
}

/** Passphrases shorter than this are refused: the envelope is only as strong as the passphrase. */
export const MIN_PASSPHRASE_LENGTH = 12;

const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;

function deriveKey(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => scryptCallback(passphrase.normalize('NFC'), salt, 32, options, (err, key) => (err ? reject(err) : resolve(key))));
}

const aad = (w: Pick<WrappedKeys, 'v' | 'kdf' | 'cipher'>) => Buffer.from(JSON.stringify({ v: w.v, kdf: w.kdf, cipher: w.cipher }));

/** 400 VALIDATION_FAILED for a passphrase too short to protect the keys. */
export function assertPassphrase(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH || /[\r\n]/.test(passphrase))
    throw new BbwsError('VALIDATION_FAILED', `The backup passphrase must be one line of at least ${MIN_PASSPHRASE_LENGTH} characters (--passphrase-file FILE or BBWS_BACKUP_PASSPHRASE).`, { field: 'passphrase' });
}

export async function wrapKeys(keys: Record<string, string>, passphrase: string): Promise<WrappedKeys> {
  assertPassphrase(passphrase);
  const salt = randomBytes(16);
  const head = { v: 1 as const, kdf: { name: 'scrypt' as const, ...PARAMS, salt: salt.toString('base64') }, cipher: 'aes-256-gcm' as const };
  const key = await deriveKey(passphrase, salt, PARAMS);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(head));
  const data = Buffer.concat([cipher.update(JSON.stringify(keys), 'utf8'), cipher.final()]);
  return { ...head, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

const invalid = () => new BbwsError('BACKUP_PASSPHRASE_INVALID');

export async function unwrapKeys(wrapped: WrappedKeys, passphrase: string): Promise<Record<string, string>> {
  const k = wrapped?.kdf;
  // Bounds on the parameters: an edited envelope must not make scrypt take minutes or gigabytes.
  if (wrapped?.v !== 1 || wrapped.cipher !== 'aes-256-gcm' || k?.name !== 'scrypt' || !Number.isInteger(k.N) || k.N < 2 ** 14 || k.N > 2 ** 20 || k.r !== 8 || k.p !== 1) throw invalid();
  try {
    const key = await deriveKey(passphrase, Buffer.from(k.salt, 'base64'), k);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(wrapped.iv, 'base64'));
    decipher.setAAD(aad(wrapped));
    decipher.setAuthTag(Buffer.from(wrapped.tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(wrapped.data, 'base64')), decipher.final()]).toString('utf8');
    return JSON.parse(text) as Record<string, string>;
  } catch {
    throw invalid();
  }
}
