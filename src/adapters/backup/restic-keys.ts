/**
 * The operator's passphrase as a second key of the backup repository (restic's own key files:
 * scrypt, then AES-256 + Poly1305), so that a disaster recovery opens the repository with the
 * passphrase alone: the repository password the platform generated lives in the secret store,
 * which is inside the repository. `restic key add` reads the new password from its stdin (a
 * pipe): never argv, never a file.
 */
import { resticKeyId } from './restic-args.js';
import { spawnTied } from './tied-spawn.js';

const BASE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', HOME: '/root' };
const BACKEND_CREDENTIALS = /^(AWS_|B2_|AZURE_|GOOGLE_|OS_|ST_|RCLONE_|RESTIC_SFTP)/;

function resticWith(location: string, password: string, args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const passThrough = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => BACKEND_CREDENTIALS.test(k) && v !== undefined)) as Record<string, string>;
  return new Promise((resolve, reject) => {
    const child = spawnTied('restic', ['--no-cache', ...args], { env: { ...BASE_ENV, ...passThrough, RESTIC_REPOSITORY: location, RESTIC_PASSWORD: password } });
    const err: Buffer[] = [];
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

/** Whether `password` is one of the repository's keys (false also when the repository is unreachable: see stderr). */
export async function opensRepository(location: string, password: string): Promise<{ ok: boolean; wrongPassword: boolean; stderr: string }> {
  const r = await resticWith(location, password, ['cat', 'config']);
  return { ok: r.code === 0, wrongPassword: /wrong password|no key found/i.test(r.stderr), stderr: r.stderr };
}

export interface ResticKey {
  id: string;
  userName: string;
  hostName: string;
  /** The key `password` opened the repository with. */
  current: boolean;
  created: string;
}

/** The repository's keys, opened with `password` (which one is `current`). */
export async function listKeys(location: string, password: string): Promise<ResticKey[]> {
  const r = await resticWith(location, password, ['key', 'list', '--json']);
  if (r.code !== 0) throw new Error(`restic key list failed: ${r.stderr.slice(0, 600)}`);
  return (JSON.parse(r.stdout || '[]') as ResticKey[] | null) ?? [];
}

/**
 * The user and host bbws gives the passphrase keys it adds: only keys so marked are ever removed
 * by it (a key an operator added by hand, or one added before this marking, stays).
 */
const PASSPHRASE_KEY = { user: 'bbws-passphrase', host: 'bbws' };

/**
 * Adds `passphrase` as a key of the repository (opened with `password`) unless it already is one;
 * returns that key's id (a platform backup records it: the key its keys.json needs).
 */
export async function ensurePassphraseKey(location: string, password: string, passphrase: string): Promise<{ keyId: string; added: boolean }> {
  const own = async () => resticKeyId((await listKeys(location, passphrase)).find((k) => k.current)?.id);
  // One opening with the passphrase: its key's id, or "wrong password" (then it is added).
  const tried = await own().then((keyId) => ({ keyId }), (e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }));
  if ('keyId' in tried) return { keyId: tried.keyId, added: false };
  if (!/wrong password|no key found/i.test(tried.error)) throw new Error(tried.error);
  // Without --new-password-file restic reads the new password from a non-terminal stdin, twice
  // (it asks for a confirmation); /dev/stdin cannot be opened on the socket Node gives as stdin.
  if (/[\r\n]/.test(passphrase)) throw new Error('a passphrase is one line');
  const r = await resticWith(location, password, ['key', 'add', '--user', PASSPHRASE_KEY.user, '--host', PASSPHRASE_KEY.host], `${passphrase}\n${passphrase}\n`);
  if (r.code !== 0) throw new Error(`restic key add failed: ${r.stderr.slice(0, 600)}`);
  return { keyId: await own(), added: true };
}

/**
 * Removes the passphrase keys bbws added that no one needs any more: not in `keep` (the
 * passphrase in use and those the kept platform backups are wrapped under), not the key
 * `password` opens with (the platform's own), not younger than `minAgeMs` (a platform backup
 * running beside this one may have just added its key, before its record exists). Keys bbws did
 * not add are never touched. Returns the ids removed.
 */
export async function removeUnusedPassphraseKeys(location: string, password: string, keep: ReadonlySet<string>, minAgeMs: number, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const key of await listKeys(location, password)) {
    if (key.current || key.userName !== PASSPHRASE_KEY.user || key.hostName !== PASSPHRASE_KEY.host) continue;
    if ([...keep].some((k) => k.startsWith(key.id) || key.id.startsWith(k))) continue;
    // restic prints the creation time in local time, without a zone.
    const created = Date.parse(key.created.replace(' ', 'T'));
    if (!(now - created >= minAgeMs)) continue;
    const r = await resticWith(location, password, ['key', 'remove', resticKeyId(key.id)]);
    if (r.code !== 0) throw new Error(`restic key remove failed: ${r.stderr.slice(0, 600)}`);
    removed.push(key.id);
  }
  return removed;
}
