/**
 * A query run in parts (byte ranges of the files, on worker threads or in this thread) answers
 * exactly what the plain sequential scan answers — JSON.parse of every line, oldest file first —
 * rows, their order (ties included), limits and sort, over planted logs: a rotated .gz, a rotated
 * plain file and the current one with a torn last line; escaped, nested, unicode and very long
 * lines, many equal timestamps. Parts of a few hundred bytes put thousands of boundaries inside
 * lines, inside multi-byte characters and exactly on newlines.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonlLogArchive, logFilesInRange } from '../../src/adapters/logs/jsonl-archive.js';
import { rotatedName } from '../../src/adapters/logs/log-files.js';
import { readLogText } from '../../src/adapters/logs/read-log-text.js';
import { planParts } from '../../src/adapters/logs/scan-parts.js';
import { queryLogs } from '../../src/app/query-logs.js';
import { parseQuery } from '../../src/domain/logs-query/parse-query.js';
import { createQueryRun } from '../../src/domain/logs-query/run-query.js';
import { SEED_000_QUERIES } from '../fixtures/logs/seed-000-queries.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const RANGE = { since: '2029-12-31T00:00:00.000Z', until: '2030-01-02T00:00:00.000Z' };

/** Line i: every 3 lines share a timestamp (ties for the sorts); shapes of every kind. */
function lineAt(i: number): string {
  const ts = new Date(T0 + Math.floor(i / 3) * 1000).toISOString();
  const base = { level: 'INFO', '@timestamp': ts, role: 'api', pid: 7, '@logStream': `2030/01/01/[api]${i % 4}` };
  const tenantId = i % 7 === 0 ? 'acme' : `t${i % 13}`;
  switch (i % 9) {
    case 0: return JSON.stringify({ ...base, level: 'ERROR', correlationId: i % 5 === 0 ? 'trace-1' : `c${i}`, tenantId, action: 'CREATE_SITE', status: 'FAILED', siteId: i % 4 === 0 ? 'site-1' : `s${i}`, '@message': `ERROR step failed for ${tenantId} «é» 日本` });
    case 1: return JSON.stringify({ ...base, '@type': 'REPORT', '@requestId': `r${i}`, '@duration': (i * 37) % 9000, '@memorySize': 512, '@maxMemoryUsed': 300 + ((i * 11) % 230), correlationId: `c${i}`, tenantId, statusCode: i % 4 === 0 ? 500 : i % 5 === 0 ? 404 : 200, '@message': `GET /x REPORT RequestId: r${i} Duration: ${(i * 37) % 9000}.00 ms` });
    case 2: return JSON.stringify({ ...base, tenantId, status: 'ok', err: { code: i % 2 ? 'E1' : 'E2', statusCode: 503 }, '@message': 'nested error object' });
    case 3: return JSON.stringify({ ...base, tenantId, '@message': `quoted "statusCode":500 and \\ backslash, Exception here`, statusCode: 201 });
    case 4: return JSON.stringify({ ...base, tenantId, siteId: 'site-1', status: 'PROVISIONING', correlationId: 'trace-1', '@message': `site progress ${'x'.repeat(i % 50 === 4 ? 3000 : 10)}` });
    case 5: return JSON.stringify({ ...base, level: 'ERROR', '@requestId': `op${i}`, '@message': `ERROR Task timed out after 900 seconds (operation op${i})`, '@logStream': '2030/01/01/[worker]9' });
    case 6: return JSON.stringify({ ...base, tags: ['a', 'b'], statusCode: 429, errorCode: 'RATE_LIMITED', tenantId, '@message': 'limited' });
    case 7: return JSON.stringify({ ...base, '@type': 'REPORT', '@duration': 6000 + (i % 100), '@memorySize': 256, '@maxMemoryUsed': 250, tenantId: 'acme', '@message': 'REPORT slow job' });
    default: return `{"level":"INFO","@timestamp":"${ts}","statusCode":1,"statusCode":${400 + (i % 3)},"tenantId":"dup","@message":"repeated keys"}`;
  }
}

const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => lineAt(from + k)).join('\n');

const IDS: Record<string, string> = { '<correlation-id>': 'trace-1', '<tenant-id>': 'acme', '<site-id>': 'site-1' };
const QUERIES = [
  ...Object.values(SEED_000_QUERIES).map(({ query }) => Object.entries(IDS).reduce((q, [k, v]) => q.replace(k, v), query as string)),
  'filter statusCode >= 400 | limit 7',
  'filter statusCode >= 400 | limit 700',
  'fields @timestamp, @message, @logStream | sort @timestamp asc | limit 30',
  'fields @timestamp, tenantId | sort @timestamp desc',
  'filter @message like /é|Exception/ | sort tenantId desc, @timestamp asc | limit 40',
  'fields @duration * 2 as d2 | filter d2 > 100 | sort d2 desc | limit 25',
  'parse @message "Duration: * ms" as dur | filter dur > 3000 | sort @timestamp desc | limit 20',
  'filter tenantId = "acme" | fields tenantId, status | dedup status',
  'filter err.code = "E1" | fields @timestamp, err.code | sort @timestamp desc | limit 10',
  'filter tenantId = "dup" | fields statusCode | sort statusCode asc | limit 5',
  'stats count(*) as n, max(@duration) as worst by tenantId | sort n desc',
];

let dir: string;
const logsDir = () => join(dir, 'logs');

/** The plain sequential scan: every line of every file in the range, JSON.parse, time filter, one run. */
function reference(query: string) {
  const run = createQueryRun(parseQuery(query));
  for (const file of logFilesInRange(logsDir(), RANGE.since, RANGE.until)) {
    const raw = readFileSync(file.path);
    for (const line of (file.compressed ? gunzipSync(raw) : raw).toString('utf8').split('\n')) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line);
      } catch {
        continue;
      }
      const ts = record['@timestamp'];
      if (typeof ts === 'string' && ts >= RANGE.since && ts < RANGE.until && !run.accept(record)) return run.finish();
    }
  }
  return run.finish();
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bbws-logs-parts-'));
  mkdirSync(logsDir());
  const at = (i: number) => new Date(T0 + Math.floor(i / 3) * 1000).toISOString();
  writeFileSync(join(logsDir(), `${rotatedName(at(0), at(1999), 0)}.gz`), gzipSync(lines(0, 2000) + '\n'));
  writeFileSync(join(logsDir(), rotatedName(at(2000), at(3999), 0)), '\n\n' + lines(2000, 4000) + '\n\n');
  writeFileSync(join(logsDir(), 'bbws.jsonl'), lines(4000, 6000) + '\n{"level":"INFO","@timestamp":"2030-01-01T00:40');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a byte range holds the lines that start in it', () => {
  it('for every part size, the parts of a file hold each of its lines once, in order', async () => {
    const text = 'é\n\nab{"x":"日本"}\n' + 'y'.repeat(40) + '\n€\nlast-no-newline';
    const file = join(dir, 'small.jsonl');
    writeFileSync(file, text);
    const size = Buffer.byteLength(text);
    for (let partBytes = 1; partBytes <= size + 1; partBytes++) {
      const got: string[] = [];
      for (const task of planParts([{ path: file, compressed: false }], partBytes, '', { ...RANGE, needles: [], fields: null })) {
        await readLogText(task.file, task.range, (t) => (got.push(...t.split('\n')), true));
      }
      expect(got.filter(Boolean), `parts of ${partBytes} bytes`).toEqual(text.split('\n').filter(Boolean));
    }
  });
});

describe('queries in parts answer what the sequential scan answers', () => {
  const setups = [
    { name: '2 worker threads, 1,999-byte parts', workers: 2, partBytes: 1999 },
    { name: 'this thread, 4,099-byte parts', workers: 1, partBytes: 4099 },
    { name: '2 worker threads, default parts', workers: 2, partBytes: undefined },
  ];
  for (const setup of setups) {
    it(`${setup.name}: rows, order, limits, counts`, async () => {
      const logs = createJsonlLogArchive({ dir: logsDir(), workers: setup.workers, partBytes: setup.partBytes });
      for (const query of QUERIES) {
        const want = reference(query);
        const got = await queryLogs({ logs, now: () => T0 }, { query, ...RANGE });
        expect(got.rows, query).toEqual(want.rows);
        expect(got.columns, query).toEqual(want.columns);
        expect(got.statistics.recordsMatched, query).toBe(want.recordsMatched);
        expect(want.rows.length, `${query} finds rows`).toBeGreaterThan(0);
      }
    }, 120_000);
  }
});
