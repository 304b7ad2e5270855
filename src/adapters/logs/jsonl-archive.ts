/**
 * The LogArchive port on the data dir's JSON-lines files (logs/bbws.jsonl and its rotated,
 * gzip-compressed predecessors). Built for a gigabyte per query (docs/benchmarks.md "Log query"):
 * big reads, a line's time read from its `"@timestamp":"…"` text, the query's needles checked
 * on the raw line, and only the fields the query reads taken from a flat line (line-fields.ts)
 * instead of a JSON.parse of all of it.
 */
import { createReadStream, readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { LogArchive, LogScanRange, LogScanStats } from '../../ports/log-archive.js';
import { fieldKeys, readLineFields } from './line-fields.js';
import { CURRENT_LOG, parseRotatedName } from './log-files.js';

const CHUNK = 8 * 1024 * 1024;
const LATE_WRITES_MS = 60_000;
const TS_KEY = '"@timestamp":"';
/** `toISOString()` length: every line this platform writes has it. */
const TS_LEN = 24;

/** The files whose lines may fall in [since, until), oldest first; the current file last. */
export function logFilesInRange(dir: string, since: string, until: string): { path: string; compressed: boolean }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const present = new Set(names);
  // A writer may still append to a file for a few seconds after it was renamed (until it reopens).
  const sinceLate = new Date(Date.parse(since) - LATE_WRITES_MS).toISOString();
  const rotated = names
    .map(parseRotatedName)
    // A plain file beside its .gz is a compression's leftover (rotate-logs.ts): read the .gz only.
    .filter((r): r is NonNullable<typeof r> => r !== null && r.to >= sinceLate && r.from < until && (r.compressed || !present.has(`${r.name}.gz`)))
    .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const files = rotated.map((r) => ({ path: join(dir, r.name), compressed: r.compressed }));
  if (names.includes(CURRENT_LOG)) files.push({ path: join(dir, CURRENT_LOG), compressed: false });
  return files;
}

async function* plainChunks(path: string): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
  if (!fh) return; // rotated away between listing and opening: its compressed copy was listed or is newer
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

function gzipChunks(path: string): AsyncIterable<Buffer> {
  return createReadStream(path, { highWaterMark: 1024 * 1024 }).pipe(createGunzip({ chunkSize: 1024 * 1024 }));
}

/**
 * Calls `line` for each line of `text` that holds one of `alternatives`, jumping from one
 * occurrence to the next (a native substring search) instead of looking at every line: a query
 * for one correlation id reads a gigabyte at the speed of that search. The next occurrence of
 * each alternative is remembered, so a rare one is not searched for again on every line.
 */
function linesWithNeedle(text: string, alternatives: readonly string[], line: (text: string) => void, going: () => boolean): void {
  const next = alternatives.map((n) => text.indexOf(n));
  let pos = 0;
  while (going()) {
    let at = -1;
    for (let k = 0; k < next.length; k++) {
      if (next[k] >= 0 && next[k] < pos) next[k] = text.indexOf(alternatives[k], pos);
      if (next[k] >= 0 && (at < 0 || next[k] < at)) at = next[k];
    }
    if (at < 0) return;
    const start = text.lastIndexOf('\n', at) + 1;
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    line(text.slice(start, nl));
    pos = nl + 1;
  }
}

export function createJsonlLogArchive(options: { dir: string }): LogArchive {
  return {
    async scan(range: LogScanRange, onRecord): Promise<LogScanStats> {
      const stats: LogScanStats = { filesRead: 0, bytesScanned: 0, recordsScanned: 0 };
      const { since, until, needles, fields } = range;
      const keys = fields ? fieldKeys(fields) : null;
      let going = true;
      const line = (text: string) => {
        const at = text.indexOf(TS_KEY);
        if (at >= 0) {
          const ts = text.substr(at + TS_KEY.length, TS_LEN);
          if (ts < since || ts >= until) return;
        }
        stats.recordsScanned++;
        for (const any of needles) {
          let hit = false;
          for (const n of any) if (text.includes(n)) (hit = true);
          if (!hit) return;
        }
        let record: Record<string, unknown> | null = null;
        try {
          if (fields) record = readLineFields(text, fields, keys!);
          record ??= JSON.parse(text) as Record<string, unknown>;
        } catch {
          return;
        }
        if (at < 0) {
          const ts = record['@timestamp'];
          if (typeof ts !== 'string' || ts < since || ts >= until) return;
        }
        going = onRecord(record);
      };
      for (const file of logFilesInRange(options.dir, since, until)) {
        if (!going) break;
        stats.filesRead++;
        let rest: Buffer | null = null;
        for await (const chunk of file.compressed ? gzipChunks(file.path) : plainChunks(file.path)) {
          stats.bytesScanned += chunk.length;
          const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
          const last = buf.lastIndexOf(10);
          if (last < 0) {
            rest = buf;
            continue;
          }
          const text = buf.toString('utf8', 0, last);
          rest = last + 1 < buf.length ? Buffer.from(buf.subarray(last + 1)) : null;
          if (needles.length) linesWithNeedle(text, needles[0], line, () => going);
          else {
            let pos = 0;
            while (going && pos < text.length) {
              let nl = text.indexOf('\n', pos);
              if (nl < 0) nl = text.length;
              if (nl > pos) line(text.slice(pos, nl));
              pos = nl + 1;
            }
          }
          if (!going) break;
        }
        if (going && rest && rest.length) line(rest.toString('utf8'));
      }
      return stats;
    },
  };
}
