/**
 * The audit log as a JSON-lines file, `<dataDir>/audit/audit.jsonl` (0600), hash-chained
 * (hash-chain.ts). Several processes append to it (the API, CLI commands acting locally), so each
 * append runs under an exclusive lock: a `BEGIN IMMEDIATE` on a small SQLite file beside it
 * (`audit.lock`). SQLite's lock is an fcntl lock, so a process killed with -9 holds it no longer.
 * Under the same lock `audit.head` records the chain's head (seq, hash): verify compares the
 * file's last entry with it, so that cutting entries off the end is found as well.
 *
 * An append is one write(2) of a whole line on an O_APPEND descriptor: when `record` returns the
 * line is in the file, and a kill -9 cannot tear it. A write cut short (a full disk, power loss)
 * leaves a last line without a newline: the next append moves those bytes to
 * `audit.jsonl.torn-<time>`, truncates the file to its last whole line and records an
 * `AUDIT_TAIL_REPAIRED` entry, so the chain goes on unbroken and the repair is visible.
 *
 * Retention (`expire`): entries older than the retention period are cut off the front. The last one
 * removed is kept as the anchor (`audit.anchor`, written before the file is replaced), where verify
 * starts the chain; an `AUDIT_EXPIRED` entry records the cut. Writers in other processes notice the
 * replaced file (another inode at the path) and reopen it before their next append.
 */
import { chmodSync, closeSync, existsSync, readFileSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditEntry, AuditEntryInput, AuditFilter, AuditLog, AuditVerification } from '../../ports/audit.js';
import type { Logger } from '../../ports/logger.js';
import { formatAuditLine, GENESIS, parseAuditLine, verifyAuditText, type AuditAnchor } from './hash-chain.js';
import { writeFileAtomicSync } from '../files/atomic-write.js';

export interface JsonlAuditLogOptions {
  /** `<dataDir>/audit` */
  dir: string;
  logger?: Logger;
  now?: () => number;
}

const TAIL_CHUNK = 64 * 1024;

export function auditFileOf(dir: string): string {
  return join(dir, 'audit.jsonl');
}

export function createJsonlAuditLog(options: JsonlAuditLogOptions): AuditLog {
  const now = options.now ?? Date.now;
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const file = auditFileOf(options.dir);
  let fd = openSync(file, 'a', 0o600);
  const lockFile = join(options.dir, 'audit.lock');
  const lockDb = new Database(lockFile);
  chmodSync(lockFile, 0o600); // a CLI command may create it, with the shell's umask
  lockDb.pragma('busy_timeout = 10000');
  const begin = lockDb.prepare('BEGIN IMMEDIATE');
  const commit = lockDb.prepare('COMMIT');
  const rollback = lockDb.prepare('ROLLBACK');
  // The head (seq and hash of the last entry written), rewritten in place under the lock by one
  // pwrite of a fixed-size record: a kill -9 cannot tear it, and it costs a few microseconds.
  const headFile = join(options.dir, 'audit.head');
  const headFd = openSync(headFile, existsSync(headFile) ? 'r+' : 'w+', 0o600);
  const saveHead = (seqNo: number, hash: string) => writeSync(headFd, `${String(seqNo).padStart(15, '0')} ${hash}\n`, 0);

  let knownSize = -1;
  let seq = 0;
  let prevHash = GENESIS;

  const append = (input: AuditEntryInput): void => {
    const { line, hash } = formatAuditLine(seq + 1, new Date(now()).toISOString(), input, prevHash);
    const bytes = Buffer.from(line);
    const written = writeSync(fd, bytes);
    knownSize += written;
    if (written !== bytes.length) throw new Error(`short write to ${file} (${written} of ${bytes.length} bytes)`);
    seq++;
    prevHash = hash;
    saveHead(seq, hash);
  };

  /** Another process appended, or this one just opened the file: read the last entry again. */
  const refreshHead = (size: number): void => {
    knownSize = size;
    let tail = Buffer.alloc(0);
    let start = size;
    let lastNewline = -1;
    let before = -1;
    const reader = openSync(file, 'r');
    try {
      // Read backwards until the tail holds the last whole line (or the whole file).
      for (let chunk = TAIL_CHUNK; start > 0; chunk *= 2) {
        start = Math.max(0, size - chunk);
        tail = Buffer.alloc(size - start);
        readSync(reader, tail, 0, tail.length, start);
        lastNewline = tail.lastIndexOf(0x0a);
        before = lastNewline > 0 ? tail.lastIndexOf(0x0a, lastNewline - 1) : -1;
        if (before !== -1) break;
      }
    } finally {
      closeSync(reader);
    }
    const last = lastNewline === -1 ? null : parseAuditLine(tail.subarray(before + 1, lastNewline).toString('utf8'));
    // An empty file after an expiry of every entry goes on from the anchor, not from the genesis.
    const start0 = last ?? (size === 0 ? readHeadFile(join(options.dir, 'audit.anchor')) : null);
    seq = start0?.seq ?? 0;
    prevHash = start0?.hash ?? GENESIS;
    const torn = tail.subarray(lastNewline + 1);
    if (torn.length === 0) return;
    moveTornTail(start + lastNewline + 1, torn);
    append({ actor: null, sourceIp: 'local', action: 'AUDIT_TAIL_REPAIRED', target: file, tenantId: null, result: { statusCode: 200, errorCode: null }, correlationId: null, details: { bytes: torn.length } });
  };

  const moveTornTail = (keepBytes: number, fragment: Buffer): void => {
    const aside = `${file}.torn-${new Date(now()).toISOString().replaceAll(':', '')}`;
    writeFileSync(aside, fragment, { mode: 0o600 });
    ftruncateSync(fd, keepBytes);
    knownSize = keepBytes;
    options.logger?.warn({ action: 'AUDIT_TAIL_REPAIRED', file, aside, bytes: fragment.length, status: 'OK' }, `audit log: a torn last line (${fragment.length} bytes) was moved to ${aside}`);
  };

  const readAll = async (): Promise<string> => readFile(file, 'utf8');

  /** The file at the path was replaced (an expiry, here or in another process): append to the new one. */
  const followReplacedFile = (): void => {
    let current: number;
    try {
      current = statSync(file).ino;
    } catch {
      current = -1;
    }
    if (current === fstatSync(fd).ino) return;
    closeSync(fd);
    fd = openSync(file, 'a', 0o600);
    knownSize = -1;
  };

  /** Under the lock: keeps the entries at or after `cutoff`, the anchor first. */
  const expireLocked = (cutoff: string): number => {
    const text = readFileSync(file, 'utf8');
    let offset = 0;
    let removed = 0;
    let last: AuditAnchor | null = null;
    for (;;) {
      const end = text.indexOf('\n', offset);
      if (end === -1) break;
      const entry = parseAuditLine(text.slice(offset, end));
      if (!entry || entry.time >= cutoff) break;
      last = { seq: entry.seq, hash: entry.hash };
      removed++;
      offset = end + 1;
    }
    if (!last) return 0;
    const anchorFile = join(options.dir, 'audit.anchor');
    writeFileAtomicSync(anchorFile, `${String(last.seq).padStart(15, '0')} ${last.hash}\n`);
    writeFileAtomicSync(file, text.slice(offset));
    followReplacedFile();
    return removed;
  };

  const locked = <T>(fn: () => T): T => {
    begin.run();
    try {
      followReplacedFile();
      const size = fstatSync(fd).size;
      if (size !== knownSize) refreshHead(size);
      const out = fn();
      commit.run();
      return out;
    } catch (err) {
      rollback.run();
      throw err;
    }
  };

  return {
    record(input) {
      try {
        locked(() => append(input));
      } catch (err) {
        options.logger?.error({ action: 'AUDIT_WRITE', status: 'ERROR', err: err instanceof Error ? err.message : String(err), auditAction: input.action }, `audit log: could not record ${input.action}`);
      }
    },

    expire(olderThan) {
      return locked(() => {
        const removed = expireLocked(olderThan);
        if (removed === 0) return 0;
        const size = fstatSync(fd).size;
        if (size !== knownSize) refreshHead(size);
        append({ actor: null, sourceIp: 'local', action: 'AUDIT_EXPIRED', target: file, tenantId: null, result: { statusCode: 200, errorCode: null }, correlationId: null, details: { removed, before: olderThan } });
        return removed;
      });
    },

    async list(filter: AuditFilter): Promise<AuditEntry[]> {
      const out: AuditEntry[] = [];
      for (const line of (await readAll()).split('\n')) {
        const e = line === '' ? null : parseAuditLine(line);
        if (!e) continue;
        if (filter.since && e.time < filter.since) continue;
        if (filter.tenantId && e.tenantId !== filter.tenantId && e.actor?.tenantId !== filter.tenantId) continue;
        if (filter.actor && e.actor?.subject !== filter.actor) continue;
        if (filter.action && !e.action.startsWith(filter.action)) continue;
        out.push(e);
      }
      const limit = filter.limit ?? 1000;
      return out.length > limit ? out.slice(out.length - limit) : out;
    },

    verify: () => verifyAuditLogFiles(options.dir),

    close() {
      closeSync(fd);
      closeSync(headFd);
      lockDb.close();
    },
  };
}

function readHeadFile(file: string): AuditAnchor | null {
  const m = existsSync(file) ? /^(\d{15}) ([0-9a-f]{64})\n/.exec(readFileSync(file, 'utf8')) : null;
  return m ? { seq: Number(m[1]), hash: m[2] } : null;
}

/**
 * Checks the chain of the audit log in `dir` without writing anything (no file is created: the
 * doctor and `bbws audit verify` run it on a data dir that may be full or read-only), and compares
 * its last entry with the head recorded beside it.
 */
export async function verifyAuditLogFiles(dir: string): Promise<AuditVerification> {
  const file = auditFileOf(dir);
  const result = verifyAuditText(existsSync(file) ? await readFile(file, 'utf8') : '', readHeadFile(join(dir, 'audit.anchor')));
  const recorded = readHeadFile(join(dir, 'audit.head'));
  if (recorded && (result.head === null || result.head.seq < recorded.seq)) {
    result.problems.push({
      line: result.entries + 1,
      seq: recorded.seq,
      kind: 'deleted-or-reordered',
      message: `the file ends at seq ${result.head?.seq ?? 0} but seq ${recorded.seq} was written: entries were cut off the end`,
    });
    result.ok = false;
  } else if (recorded && result.head?.seq === recorded.seq && result.head.hash !== recorded.hash) {
    result.problems.push({ line: result.entries, seq: recorded.seq, kind: 'edited', message: `the last entry (seq ${recorded.seq}) is not the one written: its hash differs from the head recorded beside the log` });
    result.ok = false;
  }
  return result;
}
