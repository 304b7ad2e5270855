/**
 * A tenant database as one consistent snapshot: `mariadb-dump --single-transaction` (one
 * REPEATABLE READ snapshot for every table, no lock that stops WordPress writing), one row per
 * INSERT line (`--skip-extended-insert`, `--hex-blob`, `--order-by-primary`), so the dump itself
 * gives per-table row counts and checksums of the same point in time, without a second read of
 * the live tables that writes could have changed in between.
 *
 * Verification loads the dump into a scratch database and dumps that again with the same options:
 * equal row counts and equal SHA-256 of the INSERT lines, table by table, mean the restore holds
 * exactly the rows that were backed up.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ExecError } from '../runtime/local/exec.js';
import { spawnTied } from './tied-spawn.js';
import { sqlIdentifier } from '../runtime/local/escape.js';

export interface TableSummary {
  name: string;
  rows: number;
  /** SHA-256 of the table's INSERT lines in primary-key order. */
  sha256: string;
}

const DUMP_OPTIONS = [
  '--single-transaction',
  '--quick',
  '--skip-extended-insert',
  '--hex-blob',
  '--order-by-primary',
  '--skip-dump-date',
  '--no-autocommit',
  '--no-tablespaces',
  '--default-character-set=utf8mb4',
];

const CREATE = /^CREATE TABLE `([^`]+)`/;
const INSERT = /^INSERT INTO `([^`]+)` VALUES /;

/** Per-table counts and hashes of dump lines, fed line by line. */
function summarizer() {
  const tables = new Map<string, { rows: number; hash: ReturnType<typeof createHash> }>();
  const of = (name: string) => {
    let t = tables.get(name);
    if (!t) tables.set(name, (t = { rows: 0, hash: createHash('sha256') }));
    return t;
  };
  return {
    line(line: string) {
      const c = CREATE.exec(line);
      if (c) return void of(c[1]!);
      const i = INSERT.exec(line);
      if (i) {
        const t = of(i[1]!);
        t.rows++;
        t.hash.update(line).update('\n');
      }
    },
    done(): TableSummary[] {
      return [...tables].map(([name, t]) => ({ name, rows: t.rows, sha256: t.hash.digest('hex') })).sort((a, b) => a.name.localeCompare(b.name));
    },
  };
}

const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

/**
 * Dumps `db` (only `tables` when given; an empty list dumps nothing but is refused) to `file` and
 * returns its per-table summary.
 */
export function dumpDatabase(clientArgs: readonly string[], db: string, file: string, tables?: string[]): Promise<TableSummary[]> {
  sqlIdentifier(db);
  for (const t of tables ?? []) sqlIdentifier(t);
  if (tables && tables.length === 0) return Promise.reject(new Error(`nothing to dump: no tables selected in ${db}`));
  const args = [...clientArgs, ...DUMP_OPTIONS, '--', db, ...(tables ?? [])];
  return new Promise((resolve, reject) => {
    const child = spawnTied('mariadb-dump', args, { env: ENV });
    child.stdin.end();
    const out = createWriteStream(file, { mode: 0o600 });
    const summary = summarizer();
    const err: Buffer[] = [];
    let failed: Error | null = null;
    child.stdout.pipe(out);
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (l) => summary.line(l));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    out.on('error', (e) => {
      failed = e;
      child.kill('SIGKILL');
    });
    child.on('error', (e) => (failed = e));
    child.on('close', (code, signal) => {
      out.end(() => {
        if (failed) return reject(failed);
        if (code !== 0) return reject(new ExecError({ command: 'mariadb-dump', args, stdout: '', stderr: Buffer.concat(err).toString(), exitCode: code, signal }));
        resolve(summary.done());
      });
    });
  });
}

/** Multi-row INSERTs up to this size: well below MariaDB's max_allowed_packet (16 MiB by default). */
const BATCH_BYTES = 1 << 20;

const INSERT_HEAD = Buffer.from('INSERT INTO `');
const VALUES = Buffer.from('` VALUES (');
const NEWLINE = Buffer.from('\n');
const COMMA = Buffer.from(',');
const END = Buffer.from(';\n');

/**
 * Joins the dump's one-row INSERT lines into multi-row INSERTs of up to {@link BATCH_BYTES}
 * (`INSERT INTO t VALUES (a);` + `INSERT INTO t VALUES (b);` → `INSERT INTO t VALUES (a),(b);`):
 * the same rows in the same order, in ~1/100 of the statements, which the server parses and
 * executes several times faster. Safe without parsing the values: with `--skip-extended-insert`
 * mariadb-dump writes each row as one line (newlines in values are escaped as `\n`) that starts
 * with `INSERT INTO \`name\` VALUES (` and ends with `);`. Every other line passes unchanged.
 * Bytes, not strings: whatever the dump holds is loaded as it is.
 */
export function batchInserts(push: (chunk: Buffer) => void, batchBytes = BATCH_BYTES) {
  let head: Buffer | null = null;
  let batch: Buffer[] = [];
  let bytes = 0;
  const flush = () => {
    if (head && batch.length) push(Buffer.concat([head, ...batch.flatMap((v, i) => (i ? [COMMA, v] : [v])), END]));
    batch = [];
    bytes = 0;
    head = null;
  };
  return {
    line(line: Buffer) {
      const at = line.subarray(0, INSERT_HEAD.length).equals(INSERT_HEAD) ? line.indexOf(VALUES, INSERT_HEAD.length) : -1;
      if (at < 0 || line.length < at + VALUES.length + 2 || line[line.length - 2] !== 0x29 /* ) */ || line[line.length - 1] !== 0x3b /* ; */) {
        flush();
        return push(Buffer.concat([line, NEWLINE]));
      }
      const start = at + VALUES.length - 1; // the "(" of the row
      const lineHead = line.subarray(0, start);
      const values = line.subarray(start, line.length - 1);
      if (!head || !head.equals(lineHead) || bytes + values.length > batchBytes) flush();
      head ??= Buffer.from(lineHead);
      batch.push(values);
      bytes += values.length + 1;
    },
    end: flush,
  };
}

/**
 * Loads a dump file into `db` (which must exist) with the `mariadb` client, its one-row INSERTs
 * batched ({@link batchInserts}). The dump's own header already turns unique and foreign-key
 * checks off, and `--no-autocommit` makes each table one transaction.
 */
export function loadDump(clientArgs: readonly string[], db: string, file: string): Promise<void> {
  sqlIdentifier(db);
  const args = [...clientArgs, '--default-character-set=utf8mb4', '--', db];
  return new Promise((resolve, reject) => {
    const child = spawnTied('mariadb', args, { env: ENV });
    child.stdout.resume();
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    const input = createReadStream(file, { highWaterMark: 1 << 20 });
    input.on('error', (e) => {
      child.kill('SIGKILL');
      reject(e);
    });
    // Backpressure: stop reading while the client's stdin is full.
    let waiting = false;
    const batches = batchInserts((chunk) => {
      if (!child.stdin.write(chunk) && !waiting) {
        waiting = true;
        input.pause();
        child.stdin.once('drain', () => {
          waiting = false;
          input.resume();
        });
      }
    });
    let rest: Buffer = Buffer.alloc(0);
    input.on('data', (chunk) => {
      let buf = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
        batches.line(buf.subarray(0, nl));
        buf = buf.subarray(nl + 1);
      }
      rest = Buffer.from(buf);
    });
    input.on('end', () => {
      if (rest.length) batches.line(rest);
      batches.end();
      child.stdin.end();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ExecError({ command: 'mariadb', args, stdout: '', stderr: Buffer.concat(err).toString(), exitCode: code, signal }));
    });
  });
}

/** The tables whose row count or checksum differ, or that are missing on one side ([] when equal). */
export function compareSummaries(expected: TableSummary[], actual: TableSummary[]): string[] {
  const got = new Map(actual.map((t) => [t.name, t]));
  const bad: string[] = [];
  for (const t of expected) {
    const a = got.get(t.name);
    if (!a) bad.push(`${t.name}: missing`);
    else if (a.rows !== t.rows) bad.push(`${t.name}: ${a.rows} rows, expected ${t.rows}`);
    else if (a.sha256 !== t.sha256) bad.push(`${t.name}: checksum differs`);
    got.delete(t.name);
  }
  for (const name of got.keys()) bad.push(`${name}: not in the backup`);
  return bad;
}
