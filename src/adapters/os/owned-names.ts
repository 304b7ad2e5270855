/**
 * Scratch things (directories, databases) named after the process that made them, so that a
 * leftover sweep removes exactly those whose maker is gone — a `kill -9` leaves nothing that the
 * next run cannot recognise as dead — and never those of a live process (another worker, the CLI
 * beside `bbws up`). The name carries the maker's PID and start time (processes.ts's identity,
 * less the boot id: a reboot ends every maker anyway, and the sweep then finds the start time
 * changed or the PID gone). In a directory only root can write, a name cannot be forged.
 *
 * `<prefix>-<pid>.<start ticks>-<random>`; the random part keeps two things of one process apart.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isIdentityAlive, isRunning, processIdentity } from './processes.js';

const OWNED = /^(.+)-(\d{1,10})\.(\d{1,20})-([a-z0-9]{4,32})$/;

/** A new name owned by this process. `prefix`: letters, digits, `_` and `-`. */
export function ownedName(prefix: string, random = randomBytes(6).toString('hex')): string {
  if (!/^[a-z0-9_-]{1,40}$/.test(prefix) || !/^[a-z0-9]{4,32}$/.test(random)) throw new Error(`bad owned name parts ${JSON.stringify([prefix, random])}`);
  const [, pid, ticks] = (processIdentity() ?? `unknown:${process.pid}:0`).split(':');
  return `${prefix}-${pid}.${ticks}-${random}`;
}

/**
 * Whether `name` (made by {@link ownedName} with `prefix`) belongs to a process that is gone.
 * A name with the prefix but no owner (made before names carried one) is an orphan too; a name
 * without the prefix is not ours: false.
 */
export function isOrphanName(name: string, prefix: string): boolean {
  if (!name.startsWith(`${prefix}-`)) return false;
  const m = OWNED.exec(name);
  if (!m || m[1] !== prefix) return true;
  const boot = processIdentity()?.split(':')[0] ?? 'unknown';
  return !isIdentityAlive(`${boot}:${m[2]}:${m[3]}`);
}

/**
 * For entries whose name must stay stable (a backup's work dir: restic finds the previous
 * snapshot by its paths), the owner goes beside the entry: `<root>/<name>.owner` holds the
 * identity of the process working in `<root>/<name>`.
 */
export const ownerFileOf = (root: string, name: string) => join(root, `${name}.owner`);

export async function claimEntry(root: string, name: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  await writeFile(ownerFileOf(root, name), `${processIdentity() ?? ''}\n`, { mode: 0o600 });
}

export async function releaseEntry(root: string, name: string): Promise<void> {
  await rm(ownerFileOf(root, name), { force: true });
}

/** Whether `<root>/<name>` has no live owner (no owner file: made before owners were recorded, or its owner is gone). */
export async function entryIsOrphan(root: string, name: string): Promise<boolean> {
  const identity = (await readFile(ownerFileOf(root, name), 'utf8').catch(() => '')).trim();
  return identity === '' || !isIdentityAlive(identity);
}

/** A temp file of writeFileAtomic (`<name>.<pid>-<random>.tmp`) whose writer is gone. */
export function isOrphanTempFile(name: string): boolean {
  const m = /\.(\d{1,10})-[0-9a-f]+\.tmp$/.exec(name);
  return m !== null && !isRunning(Number(m[1]));
}
