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
import { sqlIdentifier, sqlQuotedIdentifier } from '../runtime/local/escape.js';
import { dumpClassifier, withCurrentUserDefiner } from './dump-objects.js';

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

const CREATE = /^CREATE TABLE `((?:[^`]|``)+)`/;
const INSERT = /^INSERT INTO `((?:[^`]|``)+)` VALUES /;
const unquote = (name: string) => name.replace(/``/g, '`');

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
      if (c) return void of(unquote(c[1]!));
      const i = INSERT.exec(line);
      if (i) {
        const t = of(unquote(i[1]!));
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
 * returns its per-table summary. Triggers come with their tables, views with their names; the
 * whole database's dump also holds its stored routines (a site's, selected by table, does not:
 * routines belong to no table, so no site's restore may replace them).
 */
export function dumpDatabase(clientArgs: readonly string[], db: string, file: string, tables?: string[]): Promise<TableSummary[]> {
  sqlIdentifier(db);
  // Table names reach mariadb-dump as argv (after `--`), which quotes them itself: any name the server has.
  for (const t of tables ?? []) sqlQuotedIdentifier(t);
  if (tables && tables.length === 0) return Promise.reject(new Error(`nothing to dump: no tables selected in ${db}`));
  const args = [...clientArgs, ...DUMP_OPTIONS, ...(tables ? [] : ['--routines']), '--', db, ...(tables ?? [])];
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

const TABLE_SECTION = Buffer.from('-- Table structure for table `');
const VIEW_MARKER = Buffer.from('-- Final view structure for view `');

/** Whether the dump creates views (they need every table first: such a dump is loaded in one session). */
async function dumpHasViews(file: string): Promise<boolean> {
  let carry = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const buf = Buffer.concat([carry, chunk as Buffer]);
    if (buf.includes(VIEW_MARKER)) return true;
    carry = buf.subarray(Math.max(0, buf.length - VIEW_MARKER.length));
  }
  return false;
}

/** One `mariadb` client session that a dump's statements are written to, with backpressure. */
function clientSession(args: string[], flow: { pause(): void; resume(): void }) {
  const child = spawnTied('mariadb', args, { env: ENV });
  child.stdout.resume();
  const err: Buffer[] = [];
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.on('error', () => undefined);
  const closed = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ExecError({ command: 'mariadb', args, stdout: '', stderr: Buffer.concat(err).toString(), exitCode: code, signal }));
    });
  });
  let waiting = false;
  let bytes = 0;
  return {
    closed,
    get bytes() {
      return bytes;
    },
    write(chunk: Buffer) {
      bytes += chunk.length;
      if (!child.stdin.write(chunk) && !waiting) {
        waiting = true;
        flow.pause();
        child.stdin.once('drain', () => {
          waiting = false;
          flow.resume();
        });
      }
    },
    end: () => child.stdin.end(),
    kill: () => child.kill('SIGKILL'),
  };
}

/**
 * Loads a dump file into `db` (which must exist) with the `mariadb` client, its one-row INSERTs
 * batched ({@link batchInserts}). The dump's own header already turns unique and foreign-key
 * checks off, and `--no-autocommit` makes each table one transaction.
 *
 * Tables are loaded over `sessions` client sessions side by side (each gets the dump's header of
 * session settings, then whole table sections: DROP, CREATE, rows, commit): creating a table and
 * committing its rows mostly wait for the disk (fsync), and two sessions overlap those waits —
 * measured ~25 % less wall time for the bench site's 12 tables on the loaded 2-core VM. A dump with
 * views is loaded in one session (a view needs its tables first).
 */
export async function loadDump(clientArgs: readonly string[], db: string, file: string, sessions = 2): Promise<void> {
  sqlIdentifier(db);
  const args = [...clientArgs, '--default-character-set=utf8mb4', '--', db];
  const count = sessions > 1 && !(await dumpHasViews(file)) ? sessions : 1;
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  // Backpressure: reading stops while any session's stdin is full.
  let full = 0;
  const flow = {
    pause: () => {
      if (full++ === 0) input.pause();
    },
    resume: () => {
      if (--full === 0) input.resume();
    },
  };
  const clients: Array<ReturnType<typeof clientSession>> = [];
  const header: Buffer[] = [];
  let target: ReturnType<typeof clientSession> | null = null;
  /** The session with the least written so far (a new one while fewer than `count` exist). */
  const nextTarget = () => {
    if (clients.length < count) {
      const c = clientSession(args, flow);
      for (const h of header) c.write(h);
      clients.push(c);
      return c;
    }
    return clients.reduce((a, b) => (b.bytes < a.bytes ? b : a));
  };
  const batches = batchInserts((chunk) => {
    if (target) target.write(chunk);
    else header.push(chunk);
  });
  const done = new Promise<void>((resolve, reject) => {
    const fail = (e: unknown) => {
      input.destroy();
      for (const c of clients) c.kill();
      reject(e);
    };
    input.on('error', fail);
    let rest: Buffer = Buffer.alloc(0);
    const classify = dumpClassifier();
    const line = (l: Buffer) => {
      if (l.subarray(0, TABLE_SECTION.length).equals(TABLE_SECTION)) {
        batches.end();
        target = nextTarget();
        target.closed.catch(fail);
      }
      // Objects are created by the loading session (root, in scratch): a view on a view defined by
      // the tenant's user would not load there, that user having no rights on the scratch database.
      batches.line(classify.part(l) === 'object' ? withCurrentUserDefiner(l) : l);
    };
    input.on('data', (chunk) => {
      let buf = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
        line(buf.subarray(0, nl));
        buf = buf.subarray(nl + 1);
      }
      rest = Buffer.from(buf);
    });
    input.on('end', () => {
      if (rest.length) line(rest);
      batches.end();
      // A dump without tables: its statements (header only) still run, in one session.
      if (!target) nextTarget();
      for (const c of clients) c.end();
      Promise.all(clients.map((c) => c.closed)).then(() => resolve(), fail);
    });
  });
  await done;
}

/** Runs the statements of `file` in one `mariadb` client session (`args`: connection, then database). */
export function runSqlFile(args: readonly string[], file: string): Promise<void> {
  const input = createReadStream(file);
  const session = clientSession([...args], { pause: () => input.pause(), resume: () => input.resume() });
  input.on('data', (chunk) => session.write(chunk as Buffer));
  input.on('end', () => session.end());
  input.on('error', () => session.kill());
  return session.closed;
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
