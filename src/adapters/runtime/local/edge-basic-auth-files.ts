/**
 * The files behind the edge's basic auth (render-nginx-basic-auth.ts): `htpasswd` (the current
 * password's hash), `htpasswd.previous` (the replaced password's hash while its grace window
 * lasts, else empty) and `htpasswd.previous.until` (when the window ends, ISO 8601; absent when
 * none). Only salted hashes and a time are written, never a password. Each write is a rename,
 * so a request reads a whole file, old or new; nginx reads them at each request, so no reload.
 *
 * A restart within a window keeps the previous hash until the window's end; after it, the
 * previous file is emptied at start.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../files/atomic-write.js';
import { renderHtpasswdLine } from './render-nginx.js';

/** `{SSHA}` password hash for nginx's auth_basic_user_file (no external htpasswd needed). */
export function sshaHash(password: string, salt: Buffer = randomBytes(8)): string {
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

export interface EdgeBasicAuthFiles {
  readonly userFile: string;
  readonly previousUserFile: string;
  /** At the edge's start: the current password; a previous one only while its window lasts. */
  init(password: string): Promise<void>;
  /**
   * The switch: the replaced password stays accepted until `untilMs` (the previous file is
   * written first), then the current file gets the new one. Ends the window by itself at `untilMs`.
   */
  rotate(user: string, replaced: string, next: string, untilMs: number): Promise<void>;
  /** When the current grace window ends (epoch ms), or null when none is open. */
  graceUntil(): number | null;
  /** Ends the window now: only the current password is accepted. */
  endGrace(): Promise<void>;
  stop(): void;
}

export function edgeBasicAuthFiles(o: { edgeDir: string; user: string; webGid: number | null; now?: () => number }): EdgeBasicAuthFiles {
  const userFile = join(o.edgeDir, 'htpasswd');
  const previousUserFile = `${userFile}.previous`;
  const untilFile = `${previousUserFile}.until`;
  const now = o.now ?? Date.now;
  // nginx's workers read them at each request: root:<web group> 0640 when bbws runs as root.
  const write = (path: string, text: string) => (o.webGid === null ? writeFileAtomic(path, text, 0o600) : writeFileAtomic(path, text, 0o640, { uid: 0, gid: o.webGid }));
  let until: number | null = null;
  let timer: NodeJS.Timeout | null = null;

  const endGrace = async () => {
    if (timer) clearTimeout(timer);
    timer = null;
    await write(previousUserFile, '');
    await rm(untilFile, { force: true });
    until = null;
  };
  const schedule = (at: number) => {
    if (timer) clearTimeout(timer);
    until = at;
    // setTimeout holds at most ~24.8 days; windows are minutes, a longer one is capped there and re-armed.
    timer = setTimeout(() => {
      if (now() >= at) void endGrace().catch(() => undefined);
      else schedule(at);
    }, Math.min(Math.max(0, at - now()), 2 ** 31 - 1));
    timer.unref();
  };

  return {
    userFile,
    previousUserFile,
    async init(password) {
      await write(userFile, renderHtpasswdLine(o.user, sshaHash(password)));
      const at = Date.parse(await readFile(untilFile, 'utf8').catch(() => ''));
      const previous = await readFile(previousUserFile, 'utf8').catch(() => '');
      if (Number.isFinite(at) && at > now() && previous) schedule(at);
      else await endGrace();
    },
    async rotate(user, replaced, next, untilMs) {
      await write(untilFile, new Date(untilMs).toISOString());
      await write(previousUserFile, renderHtpasswdLine(user, sshaHash(replaced)));
      schedule(untilMs);
      await write(userFile, renderHtpasswdLine(user, sshaHash(next)));
    },
    graceUntil: () => until,
    endGrace,
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
