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

/** Loads a dump file into `db` (which must exist) with the `mariadb` client. */
export function loadDump(clientArgs: readonly string[], db: string, file: string): Promise<void> {
  sqlIdentifier(db);
  const args = [...clientArgs, '--default-character-set=utf8mb4', '--', db];
  return new Promise((resolve, reject) => {
    const child = spawnTied('mariadb', args, { env: ENV });
    child.stdout.resume();
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    const input = createReadStream(file);
    input.on('error', (e) => {
      child.kill('SIGKILL');
      reject(e);
    });
    input.pipe(child.stdin);
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
