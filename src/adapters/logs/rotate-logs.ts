/**
 * Rotation of the platform's JSON-lines log (logs/bbws.jsonl): by size and by age, compressed
 * with gzip, deleted after the retention period. Every process that writes the log runs it on a
 * timer (main/logger.ts); a rename is atomic, so two processes racing lose no line.
 *
 * 1. The current file is renamed `bbws.<first line's time>.<now>.jsonl` when it is larger than
 *    `maxBytes` or its first line is older than `maxAgeMs`. Writers reopen the path on their
 *    next tick (they see the inode change), so for a moment a renamed file still receives lines.
 * 2. A renamed file is compressed only once nobody wrote to it for `graceMs`: to `….gz.tmp`
 *    (mode 0600), then renamed to `….gz`, then the plain file is removed. A kill -9 at any point
 *    leaves the plain file (compressed again on the next pass; the stale .tmp is removed) or both
 *    it and the complete .gz (the plain one is removed; a query reads only the .gz meanwhile):
 *    nothing is lost, nothing half-made stays.
 * 3. Rotated files whose last line is older than `retentionMs` are deleted.
 */
import { createReadStream, createWriteStream, existsSync, openSync, readSync, closeSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { CURRENT_LOG, parseRotatedName, rotatedName } from './log-files.js';

export interface RotationPolicy {
  maxBytes: number;
  maxAgeMs: number;
  retentionMs: number;
  /** Quiet time before a renamed file is compressed (default 30 s: writers reopen within 10 s). */
  graceMs?: number;
}

export interface RotationReport {
  rotated: string | null;
  compressed: string[];
  deleted: string[];
}

const DEFAULT_GRACE_MS = 30_000;

/** The `@timestamp` of the file's first line, else its modification time. */
function firstLineTime(path: string, mtimeMs: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const m = /"@timestamp":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"/.exec(buf.toString('utf8', 0, n).split('\n', 1)[0]);
    return m ? m[1] : new Date(mtimeMs).toISOString();
  } finally {
    closeSync(fd);
  }
}

const ignoreMissing = (fn: () => void) => {
  try {
    fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
};

function rotateCurrent(dir: string, policy: RotationPolicy, now: number, names: readonly string[]): string | null {
  const path = join(dir, CURRENT_LOG);
  let st;
  try {
    st = statSync(path);
  } catch {
    return null;
  }
  if (st.size === 0) return null;
  const from = firstLineTime(path, st.mtimeMs);
  if (st.size < policy.maxBytes && now - Date.parse(from) < policy.maxAgeMs) return null;
  const to = new Date(now).toISOString();
  let serial = 0;
  while (names.includes(rotatedName(from, to, serial)) || names.includes(`${rotatedName(from, to, serial)}.gz`)) serial++;
  const name = rotatedName(from, to, serial);
  try {
    renameSync(path, join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // another process rotated it first
    throw err;
  }
  return name;
}

export async function rotateLogs(dir: string, policy: RotationPolicy, now = Date.now()): Promise<RotationReport> {
  const grace = policy.graceMs ?? DEFAULT_GRACE_MS;
  if (!existsSync(dir)) return { rotated: null, compressed: [], deleted: [] }; // the data dir was removed
  const report: RotationReport = { rotated: rotateCurrent(dir, policy, now, readdirSync(dir)), compressed: [], deleted: [] };
  const names = readdirSync(dir);
  for (const name of names) {
    const path = join(dir, name);
    if (name.endsWith('.gz.tmp')) {
      // A compression that died (kill -9): its plain file is still there and is compressed again.
      ignoreMissing(() => statSync(path).mtimeMs < now - Math.max(grace, 5 * 60_000) && unlinkSync(path));
      continue;
    }
    const rotated = parseRotatedName(name);
    if (!rotated) continue;
    if (Date.parse(rotated.to) < now - policy.retentionMs) {
      ignoreMissing(() => unlinkSync(path));
      report.deleted.push(name);
      continue;
    }
    if (rotated.compressed || name === report.rotated) continue; // just renamed: writers have not reopened yet
    if (names.includes(`${name}.gz`)) {
      // A .gz exists only complete (renamed from its .tmp when written): the plain copy is left over.
      ignoreMissing(() => unlinkSync(path));
      continue;
    }
    let st;
    try {
      st = statSync(path);
    } catch {
      continue;
    }
    if (st.mtimeMs > now - grace) continue;
    // Per process: two processes compressing the same file must not write one .tmp.
    const tmp = `${path}.${process.pid}.gz.tmp`;
    await pipeline(createReadStream(path), createGzip({ level: 6 }), createWriteStream(tmp, { mode: 0o600 }));
    renameSync(tmp, `${path}.gz`);
    ignoreMissing(() => unlinkSync(path));
    report.compressed.push(`${name}.gz`);
  }
  return report;
}
