/**
 * Names of the platform's log files. The current file is `bbws.jsonl`; a rotated one is named for
 * the times of its first and last line, `bbws.<from>.<to>.jsonl`, and `.gz` once compressed, so a
 * query skips files outside its range without opening them.
 */
export const CURRENT_LOG = 'bbws.jsonl';
const ROTATED = /^bbws\.(\d{8}T\d{6}\d{3}Z)\.(\d{8}T\d{6}\d{3}Z)(?:\.\d+)?\.jsonl(\.gz)?$/;

/** `2026-12-03T07:41:45.123Z` → `20261203T074145123Z` (no `:` in file names). */
export function compactTime(iso: string): string {
  return iso.replace(/[-:.]/g, '');
}

export function expandTime(compact: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(compact)!;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`;
}

export interface RotatedLog {
  name: string;
  from: string;
  to: string;
  compressed: boolean;
}

export function parseRotatedName(name: string): RotatedLog | null {
  const m = ROTATED.exec(name);
  return m ? { name, from: expandTime(m[1]), to: expandTime(m[2]), compressed: m[3] !== undefined } : null;
}

export function rotatedName(from: string, to: string, serial: number): string {
  return `bbws.${compactTime(from)}.${compactTime(to)}${serial ? `.${serial}` : ''}.jsonl`;
}
