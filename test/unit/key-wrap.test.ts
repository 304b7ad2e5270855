/**
 * The platform backup's key envelope (adapters/backup/key-wrap.ts): scrypt + AES-256-GCM under the
 * operator's passphrase. Round trip; a wrong passphrase, an edited parameter, salt or ciphertext
 * all fail the same way (BACKUP_PASSPHRASE_INVALID); nothing of the keys is in the envelope in plain.
 */
import { describe, expect, it } from 'vitest';
import { unwrapKeys, wrapKeys, type WrappedKeys } from '../../src/adapters/backup/key-wrap.js';
import { isBbwsError } from '../../src/domain/errors.js';

const KEYS = { secretStoreKey: Buffer.alloc(32, 7).toString('base64'), jwtKey: 'c2lnbmluZy1rZXktb2YtdGhlLXBsYXRmb3Jt', repositoryPassword: 'repo-password-123' };
const PASS = 'correct horse battery staple';

const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (isBbwsError(e) ? e.code : String(e)));

describe('wrapKeys / unwrapKeys', () => {
  it('round-trips, with a fresh salt and IV each time and no key in plain', async () => {
    const a = await wrapKeys(KEYS, PASS);
    const b = await wrapKeys(KEYS, PASS);
    expect(await unwrapKeys(a, PASS)).toEqual(KEYS);
    expect(a.kdf.salt).not.toBe(b.kdf.salt);
    expect(a.iv).not.toBe(b.iv);
    const text = JSON.stringify(a);
    for (const v of Object.values(KEYS)) expect(text).not.toContain(v);
    expect(a.kdf).toMatchObject({ name: 'scrypt', N: 32768, r: 8, p: 1 });
  });

  it('a wrong passphrase, or any edited field, is BACKUP_PASSPHRASE_INVALID', async () => {
    const w = await wrapKeys(KEYS, PASS);
    const flip = (b64: string) => {
      const buf = Buffer.from(b64, 'base64');
      buf[0] = buf[0]! ^ 1;
      return buf.toString('base64');
    };
    const edits: WrappedKeys[] = [
      { ...w, data: flip(w.data) },
      { ...w, tag: flip(w.tag) },
      { ...w, iv: flip(w.iv) },
      { ...w, kdf: { ...w.kdf, salt: flip(w.kdf.salt) } },
      { ...w, kdf: { ...w.kdf, N: 2 ** 16 } },
      { ...w, kdf: { ...w.kdf, N: 2 ** 30 } },
    ];
    expect(await codeOf(unwrapKeys(w, `${PASS}!`))).toBe('BACKUP_PASSPHRASE_INVALID');
    for (const e of edits) expect(await codeOf(unwrapKeys(e, PASS))).toBe('BACKUP_PASSPHRASE_INVALID');
  });

  it('refuses a passphrase shorter than 12 characters', async () => {
    expect(await codeOf(wrapKeys(KEYS, 'short'))).toBe('VALIDATION_FAILED');
  });
});
