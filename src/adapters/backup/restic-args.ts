/**
 * The one place where values become restic arguments. restic reads `--include` and `--exclude` as
 * patterns (Go's filepath.Match per path segment: `*`, `?`, `[…]`, `\` escapes), so a path given
 * there is escaped to match exactly itself: a data dir at `/root/my[1]/bbws` would otherwise match
 * `/root/my1/bbws`, or nothing. Snapshot ids and tags are checked to be what restic prints and
 * what bbws makes, so none can be read as a flag. Paths given to `backup` and `--target` are
 * taken literally by restic; they must still be absolute and free of control characters.
 * test/unit/restic-args.test.ts throws hostile values at these, and the backup tests run under a
 * data dir whose path holds glob characters.
 */
import { UnsafeValueError } from '../runtime/local/escape.js';

/** An absolute path without `..` segments or control characters (restic takes it literally). */
export function resticPath(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || /[\u0000-\u001f\u007f]/.test(value) || value.split('/').includes('..')) throw new UnsafeValueError('restic path', value);
  return value;
}

/** An include/exclude pattern that matches exactly the path `value` (every pattern character escaped). */
export function resticExactPattern(value: unknown): string {
  return resticPath(value).replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/** A snapshot id as restic prints it: 8 (short) to 64 lower-case hex digits. */
export function resticSnapshotId(value: unknown): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{8,64}$/.test(value)) throw new UnsafeValueError('restic snapshot id', value);
  return value;
}

/** A key id as `restic key list` prints it (hex, like a snapshot id). */
export function resticKeyId(value: unknown): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{8,64}$/.test(value)) throw new UnsafeValueError('restic key id', value);
  return value;
}

/** A tag bbws makes (`bbws`, `scope=tenant`, `tenant=<id>`, `site=<id>`): no comma (restic's AND separator), no flag. */
export function resticTag(value: unknown): string {
  if (typeof value !== 'string' || !/^[a-z0-9][a-z0-9=_-]{0,63}$/.test(value)) throw new UnsafeValueError('restic tag', value);
  return value;
}
