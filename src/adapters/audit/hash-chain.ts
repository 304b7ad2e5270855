/**
 * The audit log's line format and its chain check, as pure functions over text.
 *
 * A line is the JSON of an entry whose last field is `hash`: SHA-256 (hex) of the exact bytes of
 * the line without that field (`…,"prev":"<hash of the line before>"}`). The first entry's `prev`
 * is {@link GENESIS}. Checking a line needs no parsing-and-reserializing (which could hide an edit
 * that JSON normalizes away): the hash covers the bytes as written.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditEntryInput, AuditProblem, AuditVerification } from '../../ports/audit.js';

export const GENESIS = '0'.repeat(64);

/** Seq and hash of the last entry removed by expiry: where the kept chain starts. */
export interface AuditAnchor {
  seq: number;
  hash: string;
}
const HASH_SUFFIX = /,"hash":"([0-9a-f]{64})"\}$/;
/** `,"hash":"` + 64 hex digits + `"}` */
const HASH_SUFFIX_LENGTH = 75;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The line (with its newline) for an entry that follows `prev`, and its hash. */
export function formatAuditLine(seq: number, time: string, input: AuditEntryInput, prev: string): { line: string; hash: string } {
  const body = JSON.stringify({
    seq,
    time,
    actor: input.actor,
    sourceIp: input.sourceIp,
    action: input.action,
    target: input.target,
    tenantId: input.tenantId,
    result: input.result,
    correlationId: input.correlationId,
    ...(input.details ? { details: input.details } : {}),
    prev,
  });
  const hash = sha256(body);
  return { line: `${body.slice(0, -1)},"hash":"${hash}"}\n`, hash };
}

/** Parses one line (without its newline); null when it is not an entry of this format. */
export function parseAuditLine(line: string): AuditEntry | null {
  if (!HASH_SUFFIX.test(line)) return null;
  try {
    const entry = JSON.parse(line) as AuditEntry;
    return typeof entry.seq === 'number' && typeof entry.prev === 'string' ? entry : null;
  } catch {
    return null;
  }
}

/** True when the line's hash covers its bytes. */
export function lineHashHolds(line: string): boolean {
  const m = HASH_SUFFIX.exec(line);
  return m !== null && sha256(`${line.slice(0, -HASH_SUFFIX_LENGTH)}}`) === m[1];
}

/**
 * Checks the whole chain: every line an entry, each hash over its own bytes, each `prev` the hash
 * of the line before and each `seq` one more than the one before. A last line without its newline
 * is a torn tail (a write cut short: full disk, power loss), reported as such, not as tampering.
 */
export function verifyAuditText(text: string, anchor: AuditAnchor | null = null): AuditVerification {
  const problems: AuditProblem[] = [];
  const repairs: AuditVerification['repairs'] = [];
  const lines = text.split('\n');
  const tornTail = lines.pop() ?? '';
  // Entries past the retention period were expired (audit.anchor: the last one removed). The chain
  // then starts after the anchor; a file that still starts at seq 1 (the expiry was killed before
  // it replaced the file) starts at the genesis.
  const first = lines.length ? parseAuditLine(lines[0]!) : null;
  const fromAnchor = anchor !== null && first !== null && first.seq !== 1;
  let prevHash = fromAnchor ? anchor.hash : GENESIS;
  let prevSeq = fromAnchor ? anchor.seq : 0;
  let entries = 0;
  let head: AuditVerification['head'] = null;
  lines.forEach((line, i) => {
    const n = i + 1;
    const entry = parseAuditLine(line);
    if (!entry) {
      problems.push({ line: n, seq: null, kind: 'not-an-entry', message: `line ${n} is not an audit entry (edited or inserted)` });
      return;
    }
    entries++;
    if (!lineHashHolds(line)) problems.push({ line: n, seq: entry.seq, kind: 'edited', message: `line ${n} (seq ${entry.seq}) does not match its hash: the entry was edited` });
    if (entry.seq !== prevSeq + 1 || entry.prev !== prevHash) {
      const why = entry.seq !== prevSeq + 1 ? `seq ${entry.seq} follows seq ${prevSeq} (expected ${prevSeq + 1})` : `its prev is not the hash of line ${n - 1}`;
      problems.push({ line: n, seq: entry.seq, kind: 'deleted-or-reordered', message: `line ${n}: ${why}: an entry before it was deleted, inserted or moved` });
    }
    if (entry.action === 'AUDIT_TAIL_REPAIRED') repairs.push({ seq: entry.seq, time: entry.time, bytes: Number(entry.details?.bytes ?? 0) });
    prevHash = entry.hash;
    prevSeq = entry.seq;
    head = { seq: entry.seq, hash: entry.hash };
  });
  if (tornTail !== '') {
    problems.push({ line: lines.length + 1, seq: null, kind: 'torn-tail', message: `line ${lines.length + 1} is torn (${Buffer.byteLength(tornTail)} bytes without a newline: a write cut short); the next entry written moves it aside and records the repair` });
  }
  return { ok: problems.length === 0, entries, head, problems, repairs };
}
