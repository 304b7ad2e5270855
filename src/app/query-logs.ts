/**
 * `bbws logs query` / `GET /v1.0/logs/query`: a Logs Insights query over the platform's logs in a
 * time range (seed 000 §3). Parse errors are `LOGS_QUERY_INVALID` with the line and column.
 */
import { lineNeedles } from '../domain/logs-query/line-prefilter.js';
import { parseQuery } from '../domain/logs-query/parse-query.js';
import { referencedFields } from '../domain/logs-query/referenced-fields.js';
import { createQueryRun, runsInParts, type QueryResult } from '../domain/logs-query/run-query.js';
import { parseTimeRange, type TimeRange } from '../domain/logs-query/time-range.js';
import type { LogArchive, LogScanStats } from '../ports/log-archive.js';

export interface LogQueryInput {
  query: string;
  since?: string;
  until?: string;
}

export interface LogQueryAnswer extends Omit<QueryResult, 'recordsMatched'> {
  range: TimeRange;
  statistics: LogScanStats & { recordsMatched: number; durationMs: number };
}

export async function queryLogs(deps: { logs: LogArchive; now: () => number }, input: LogQueryInput): Promise<LogQueryAnswer> {
  const started = performance.now();
  const query = parseQuery(input.query);
  const range = parseTimeRange(input, deps.now());
  const run = createQueryRun(query);
  const scanRange = { ...range, needles: lineNeedles(query), fields: referencedFields(query) };
  // In parts (a worker thread per core) unless a part would have to keep every record (stats).
  const scan = runsInParts(query)
    ? await deps.logs.scanParts(scanRange, input.query, (part) => run.merge(part))
    : await deps.logs.scan(scanRange, (record) => run.accept(record));
  const { recordsMatched, ...result } = run.finish();
  return { ...result, range, statistics: { ...scan, recordsMatched, durationMs: Math.round(performance.now() - started) } };
}
