/**
 * The LogArchive port on the data dir's JSON-lines files (logs/bbws.jsonl and its rotated,
 * gzip-compressed predecessors). Built for a gigabyte per query (docs/benchmarks.md "Log query"):
 * files outside the range skipped by their names, big reads (read-log-text.ts), the query's
 * needles checked on the raw line and only the fields it reads taken from a line (scan-lines.ts,
 * line-fields.ts), and with scanParts the files cut into parts read by a worker thread per core
 * (scan-parts.ts).
 */
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { LogArchive, LogScanRange, LogScanStats } from '../../ports/log-archive.js';
import { CURRENT_LOG, parseRotatedName } from './log-files.js';
import { readLogText, type LogFile } from './read-log-text.js';
import { createLineScanner } from './scan-lines.js';
import { planParts, runParts } from './scan-parts.js';

const LATE_WRITES_MS = 60_000;
const PART_BYTES = 32 * 1024 * 1024;

/** The files whose lines may fall in [since, until), oldest first; the current file last. */
export function logFilesInRange(dir: string, since: string, until: string): LogFile[] {
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

export interface JsonlLogArchiveOptions {
  dir: string;
  /** Threads for scanParts; 1: the parts are read in this thread, one after the other. Default: one per core, at most 4. */
  workers?: number;
  /** Size of a part of a plain file, bytes (tests make it small to put many boundaries in a file). */
  partBytes?: number;
}

export function createJsonlLogArchive(options: JsonlLogArchiveOptions): LogArchive {
  const workers = options.workers ?? Math.min(4, availableParallelism());
  const partBytes = options.partBytes ?? PART_BYTES;
  return {
    async scan(range: LogScanRange, onRecord): Promise<LogScanStats> {
      const stats: LogScanStats = { filesRead: 0, bytesScanned: 0, recordsScanned: 0 };
      const scanner = createLineScanner(range, onRecord);
      let going = true;
      for (const file of logFilesInRange(options.dir, range.since, range.until)) {
        if (!going) break;
        stats.filesRead++;
        stats.bytesScanned += await readLogText(file, null, (text) => (going = scanner.scan(text)));
      }
      stats.recordsScanned = scanner.recordsScanned;
      return stats;
    },
    async scanParts(range, query, onPart): Promise<LogScanStats> {
      const files = logFilesInRange(options.dir, range.since, range.until);
      const stats: LogScanStats = { filesRead: files.length, bytesScanned: 0, recordsScanned: 0 };
      const settings = { since: range.since, until: range.until, needles: range.needles, fields: range.fields };
      await runParts(planParts(files, partBytes, query, settings), workers, (outcome) => {
        stats.bytesScanned += outcome.bytesScanned;
        stats.recordsScanned += outcome.recordsScanned;
        return onPart({ records: outcome.records, recordsMatched: outcome.recordsMatched });
      });
      return stats;
    },
  };
}
