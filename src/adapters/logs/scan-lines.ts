/**
 * The records of a piece of log text (read-log-text.ts) that a query can use: lines that hold
 * the query's needles, read as records (only the fields it uses when it names them,
 * line-fields.ts), in the time range. Shared by the scan in this thread and the scan workers.
 */
import type { LogScanRange } from '../../ports/log-archive.js';
import { createFieldReader } from './line-fields.js';

export type LineScanSettings = Pick<LogScanRange, 'since' | 'until' | 'needles' | 'fields'>;

export interface LineScanner {
  /** Feeds a text of whole lines; false once `onRecord` returned false. */
  scan(text: string): boolean;
  /** Lines read as records (they held the needles). */
  readonly recordsScanned: number;
}

/**
 * Calls `line` for each line of `text` that holds one of `alternatives`, jumping from one
 * occurrence to the next (a native substring search) instead of looking at every line: a query
 * for one correlation id reads a gigabyte at the speed of that search. The next occurrence of
 * each alternative is remembered, so a rare one is not searched for again on every line.
 */
function linesWithNeedle(text: string, alternatives: readonly string[], line: (text: string) => boolean): boolean {
  const next = alternatives.map((n) => text.indexOf(n));
  let pos = 0;
  for (;;) {
    let at = -1;
    for (let k = 0; k < next.length; k++) {
      if (next[k] >= 0 && next[k] < pos) next[k] = text.indexOf(alternatives[k], pos);
      if (next[k] >= 0 && (at < 0 || next[k] < at)) at = next[k];
    }
    if (at < 0) return true;
    const start = text.lastIndexOf('\n', at) + 1;
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    if (!line(text.slice(start, nl))) return false;
    pos = nl + 1;
  }
}

export function createLineScanner(settings: LineScanSettings, onRecord: (record: Record<string, unknown>) => boolean): LineScanner {
  const { since, until, needles, fields } = settings;
  // The time range needs @timestamp even when the query does not name it.
  const reader = fields ? createFieldReader([...fields, '@timestamp']) : null;
  let recordsScanned = 0;
  // `from`: the needle groups still to check (the first is known to hold when its search found the line).
  const line = (text: string, from: number): boolean => {
    for (let k = from; k < needles.length; k++) {
      let hit = false;
      for (const n of needles[k]) if (text.includes(n)) (hit = true);
      if (!hit) return true;
    }
    let record = reader?.read(text) ?? null;
    if (!record) {
      try {
        record = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return true; // not JSON (a torn last line after a crash)
      }
      if (typeof record !== 'object' || record === null) return true;
    }
    const ts = record['@timestamp'];
    if (typeof ts !== 'string' || ts < since || ts >= until) return true;
    recordsScanned++;
    return onRecord(record);
  };
  const anyLine = (text: string) => line(text, 0);
  const withFirstNeedle = (text: string) => line(text, 1);
  return {
    scan(text) {
      if (needles.length) return linesWithNeedle(text, needles[0], withFirstNeedle);
      let pos = 0;
      while (pos < text.length) {
        let nl = text.indexOf('\n', pos);
        if (nl < 0) nl = text.length;
        if (nl > pos && !anyLine(text.slice(pos, nl))) return false;
        pos = nl + 1;
      }
      return true;
    },
    get recordsScanned() {
      return recordsScanned;
    },
  };
}
