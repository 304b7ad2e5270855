/**
 * The edge's basic-auth files (adapters/runtime/local/edge-basic-auth-files.ts) on a real
 * directory: only salted hashes are written; a rotation keeps the old password's hash until its
 * window ends; a restart within the window keeps it, a restart after it empties it.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { edgeBasicAuthFiles, sshaHash } from '../../src/adapters/runtime/local/edge-basic-auth-files.js';

/** True when `line` is `user:{SSHA}…` of `password` (as nginx checks it). */
function matches(line: string, user: string, password: string): boolean {
  const [u, hash] = line.trim().split(':');
  if (u !== user || !hash?.startsWith('{SSHA}')) return false;
  const salt = Buffer.from(hash.slice(6), 'base64').subarray(20);
  return sshaHash(password, salt) === hash;
}

describe('edge basic-auth files', () => {
  let dir: string;
  let now = Date.parse('2030-01-01T00:00:00Z');
  const files = () => edgeBasicAuthFiles({ edgeDir: dir, user: 'bbws-sit', webGid: null, now: () => now });
  const read = (name: string) => readFile(join(dir, name), 'utf8');
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bbws-htpasswd-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rotates with a window, hashes only; a restart keeps the window until its end, then empties it', async () => {
    const first = files();
    await first.init('old-password-123');
    expect(matches(await read('htpasswd'), 'bbws-sit', 'old-password-123')).toBe(true);
    expect(await read('htpasswd.previous')).toBe('');
    expect(first.graceUntil()).toBeNull();

    await first.rotate('bbws-sit', 'old-password-123', 'new-password-456', now + 60_000);
    expect(matches(await read('htpasswd'), 'bbws-sit', 'new-password-456')).toBe(true);
    expect(matches(await read('htpasswd.previous'), 'bbws-sit', 'old-password-123')).toBe(true);
    expect(matches(await read('htpasswd.previous'), 'bbws-sit', 'new-password-456')).toBe(false);
    expect(first.graceUntil()).toBe(now + 60_000);
    for (const name of ['htpasswd', 'htpasswd.previous', 'htpasswd.previous.until']) {
      const text = await read(name);
      expect(text).not.toContain('password');
      expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
    }
    first.stop();

    // A restart 30 s into the window: the old password is still accepted, until the window's end.
    now += 30_000;
    const second = files();
    await second.init('new-password-456');
    expect(matches(await read('htpasswd.previous'), 'bbws-sit', 'old-password-123')).toBe(true);
    expect(second.graceUntil()).toBe(Date.parse('2030-01-01T00:01:00Z'));
    second.stop();

    // A restart after it: only the current password.
    now += 31_000;
    const third = files();
    await third.init('new-password-456');
    expect(await read('htpasswd.previous')).toBe('');
    await expect(stat(join(dir, 'htpasswd.previous.until'))).rejects.toThrow();
    expect(third.graceUntil()).toBeNull();
    third.stop();
  });

  it('ends the window by itself when it is over', async () => {
    now = Date.now();
    const f = edgeBasicAuthFiles({ edgeDir: dir, user: 'bbws-sit', webGid: null });
    await f.init('old-password-123');
    await f.rotate('bbws-sit', 'old-password-123', 'new-password-456', Date.now() + 200);
    expect(matches(await read('htpasswd.previous'), 'bbws-sit', 'old-password-123')).toBe(true);
    const deadline = Date.now() + 5_000;
    while ((await read('htpasswd.previous')) !== '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await read('htpasswd.previous')).toBe('');
    expect(f.graceUntil()).toBeNull();
    f.stop();
  });
});
