/**
 * The data dir is the platform's own: state.db (and SQLite's -wal/-shm, which take the database
 * file's mode), logs/, secrets/, jwt.key, platform.json, templates/, plugins/, backups. No tenant
 * user and no nginx worker has anything to do there. Two measures, both applied at every start:
 *
 * - the process umask is 0o077 (set first), so whatever bbws or a child creates is private unless
 *   it is given a mode on purpose (what tenants and nginx must reach: layout.ts, tenant-files.ts);
 * - what an older version left readable (it created state.db 0644 in a 0750 data dir) is made
 *   private again: every entry except the runtime tree to 0600 (files) / 0700 (directories),
 *   logs/, secrets/ and audit/ all the way down (rotated or copied files included).
 *
 * The data dir itself loses its read/write bits for others; whether others may search it (0711:
 * the runtime tree is inside it) or not (0700) is the local runtime's decision (layout.ts).
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_UMASK } from '../adapters/runtime/local/layout.js';

/** Entries of the data dir that others must reach (the local runtime's tree); left to layout.ts. */
const SHARED_ENTRIES = new Set(['runtime']);
/** Made private all the way down. */
const DEEP_ENTRIES = new Set(['logs', 'secrets', 'audit']);

function privatize(path: string, deep: boolean): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    if ((st.mode & 0o077) !== 0) chmodSync(path, st.mode & 0o700);
    if (deep) for (const name of readdirSync(path)) privatize(join(path, name), true);
  } else if ((st.mode & 0o077) !== 0) chmodSync(path, st.mode & 0o700);
}

/** Sets the umask, creates the data dir and takes from others what is not theirs (see above). */
export function securePlatformDataDir(dataDir: string): void {
  process.umask(PRIVATE_UMASK);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const mode = statSync(dataDir).mode & 0o7777;
  if ((mode & 0o066) !== 0) chmodSync(dataDir, (mode & 0o711) | 0o700);
  for (const name of readdirSync(dataDir)) if (!SHARED_ENTRIES.has(name)) privatize(join(dataDir, name), DEEP_ENTRIES.has(name));
}

/**
 * What {@link securePlatformDataDir} would change: entries others may read or write (the data
 * dir itself: read or write bits for group or others). `bbws doctor` reports them.
 */
export function findExposedEntries(dataDir: string): { path: string; mode: number }[] {
  const out: { path: string; mode: number }[] = [];
  const visit = (path: string, deep: boolean) => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) out.push({ path, mode: st.mode & 0o7777 });
    if (deep && st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name), true);
  };
  const mode = statSync(dataDir).mode & 0o7777;
  if ((mode & 0o066) !== 0) out.push({ path: dataDir, mode });
  for (const name of readdirSync(dataDir)) if (!SHARED_ENTRIES.has(name)) visit(join(dataDir, name), DEEP_ENTRIES.has(name));
  return out;
}
