/**
 * The platform's own logs, as `bbws logs query` reads them: every file (current and rotated,
 * compressed or not) whose time range meets the query's. The local adapter reads JSON lines under
 * the data dir (adapters/logs/jsonl-archive.ts); on AWS, CloudWatch Logs holds them.
 */
import type { QueryPart } from '../domain/logs-query/run-query.js';

export interface LogScanRange {
  /** ISO 8601, inclusive. */
  since: string;
  /** ISO 8601, exclusive. */
  until: string;
  /** Each entry: a line must contain one of these strings to be parsed (domain/logs-query/line-prefilter.ts). */
  needles: readonly (readonly string[])[];
  /** The only fields the query reads (the record may hold just these); null: every field. */
  fields: readonly string[] | null;
}

export interface LogScanStats {
  filesRead: number;
  bytesScanned: number;
  /** Lines read as records: those in the range that hold the needles. */
  recordsScanned: number;
}

export interface LogArchive {
  /**
   * Calls `onRecord` with each record in the range, oldest file first, until it returns false.
   * A line that is not JSON (a torn last line after a crash) is skipped.
   */
  scan(range: LogScanRange, onRecord: (record: Record<string, unknown>) => boolean): Promise<LogScanStats>;
  /**
   * The same records, in parts read at once (a part: a byte range of a file): each part runs
   * `query` (its text; it runs in parts, domain/logs-query/run-query.ts runsInParts) with
   * createPartRun, and `onPart` gets the parts' results in scan order until it returns false.
   * Merged into one run, they give exactly the answer of `scan` fed to that run.
   */
  scanParts(range: LogScanRange, query: string, onPart: (part: QueryPart) => boolean): Promise<LogScanStats>;
}
