/**
 * Write-to-temp-then-rename, the one way adapters replace a file or a symlink: a reader (nginx, PHP,
 * another bbws process) sees the old content or the new, never a half-written file. The temp name is
 * unique (pid and random), in the same directory (a rename does not cross file systems), and it is
 * removed when the write fails (a full disk leaves nothing behind).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, chown, rename, rm, symlink, writeFile } from 'node:fs/promises';

/** The temp file beside `path`; ends in `.tmp` so that leftover sweeps can find it. */
export function tempPathFor(path: string): string {
  return `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
}

/**
 * Replaces `path` with `data`. `mode` is set exactly (the umask does not apply); `owner`, when
 * given, before the rename (a file for nginx's workers is never theirs to read half-made, nor
 * briefly someone else's).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600, owner?: { uid: number; gid: number }): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, data, { mode: 0o600 });
    if (owner) await chown(tmp, owner.uid, owner.gid);
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Atomically (re)points `link` at `target`. */
export async function replaceSymlink(target: string, link: string): Promise<void> {
  const tmp = tempPathFor(link);
  try {
    await symlink(target, tmp);
    await rename(tmp, link);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
