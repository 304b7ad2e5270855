/**
 * The operator's passphrase as a second key of the backup repository (restic's own key files:
 * scrypt, then AES-256 + Poly1305), so that a disaster recovery opens the repository with the
 * passphrase alone: the repository password the platform generated lives in the secret store,
 * which is inside the repository. `restic key add` reads the new password from its stdin (a
 * pipe): never argv, never a file.
 */
import { spawnTied } from './tied-spawn.js';

const BASE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', HOME: '/root' };
const BACKEND_CREDENTIALS = /^(AWS_|B2_|AZURE_|GOOGLE_|OS_|ST_|RCLONE_|RESTIC_SFTP)/;

function resticWith(location: string, password: string, args: string[], stdin = ''): Promise<{ code: number | null; stderr: string }> {
  const passThrough = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => BACKEND_CREDENTIALS.test(k) && v !== undefined)) as Record<string, string>;
  return new Promise((resolve, reject) => {
    const child = spawnTied('restic', ['--no-cache', ...args], { env: { ...BASE_ENV, ...passThrough, RESTIC_REPOSITORY: location, RESTIC_PASSWORD: password } });
    const err: Buffer[] = [];
    child.stdout.resume();
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr: Buffer.concat(err).toString() }));
  });
}

/** Whether `password` is one of the repository's keys (false also when the repository is unreachable: see stderr). */
export async function opensRepository(location: string, password: string): Promise<{ ok: boolean; wrongPassword: boolean; stderr: string }> {
  const r = await resticWith(location, password, ['cat', 'config']);
  return { ok: r.code === 0, wrongPassword: /wrong password|no key found/i.test(r.stderr), stderr: r.stderr };
}

/** Adds `passphrase` as a key of the repository (opened with `password`) unless it already is one. */
export async function ensurePassphraseKey(location: string, password: string, passphrase: string): Promise<'present' | 'added'> {
  if ((await opensRepository(location, passphrase)).ok) return 'present';
  // Without --new-password-file restic reads the new password from a non-terminal stdin, twice
  // (it asks for a confirmation); /dev/stdin cannot be opened on the socket Node gives as stdin.
  if (/[\r\n]/.test(passphrase)) throw new Error('a passphrase is one line');
  const r = await resticWith(location, password, ['key', 'add'], `${passphrase}\n${passphrase}\n`);
  if (r.code !== 0) throw new Error(`restic key add failed: ${r.stderr.slice(0, 600)}`);
  return 'added';
}
