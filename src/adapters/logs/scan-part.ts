/**
 * One part of a parallel log scan: the lines that start in a byte range of a file (or a whole
 * compressed file), run through a query's part run (domain/logs-query/run-query.ts). Runs in a
 * scan worker (scan-worker.ts), or in this thread with `workers: 1`.
 */
import { parseQuery } from '../../domain/logs-query/parse-query.js';
import { createPartRun, type QueryPart } from '../../domain/logs-query/run-query.js';
import { readLogText, type ByteRange, type LogFile } from './read-log-text.js';
import { createLineScanner, type LineScanSettings } from './scan-lines.js';

export interface PartTask {
  file: LogFile;
  range: ByteRange;
  query: string;
  settings: LineScanSettings;
}

export interface PartOutcome extends QueryPart {
  bytesScanned: number;
  recordsScanned: number;
}

export async function runPart(task: PartTask): Promise<PartOutcome> {
  const run = createPartRun(parseQuery(task.query));
  const scanner = createLineScanner(task.settings, (record) => run.accept(record));
  const bytesScanned = await readLogText(task.file, task.range, (text) => scanner.scan(text));
  return { ...run.finish(), bytesScanned, recordsScanned: scanner.recordsScanned };
}
