/**
 * The platform's log rotates by size and by age, is compressed, expires after the retention
 * period, stays 0600, loses no line while a process keeps writing through rotations, and what a
 * kill -9 leaves half-way is finished or removed by the next pass.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJsonlLogArchive } from '../../src/adapters/logs/jsonl-archive.js';
import { parseRotatedName, rotatedName } from '../../src/adapters/logs/log-files.js';
import { rotateLogs } from '../../src/adapters/logs/rotate-logs.js';
import { queryLogs } from '../../src/app/query-logs.js';
import { createLogger } from '../../src/main/logger.js';
import { pollUntil } from '../support/poll.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bbws-rotation-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const logsDir = () => join(dir, 'logs');
const files = () => readdirSync(logsDir()).sort();
const DAY = 86_400_000;
const policy = { maxBytes: 4096, maxAgeMs: DAY, retentionMs: 30 * DAY, graceMs: 0 };

describe('log rotation', () => {
  it('rotates by size while writing, compresses, keeps every line once and every file 0600', async () => {
    // Writers reopen within a tick (20 ms); a renamed file is compressed after 200 ms without writes.
    const logger = createLogger({ level: 'info', dataDir: dir, stdout: false, rotation: { ...policy, graceMs: 200, checkIntervalMs: 20 } });
    const total = 600;
    for (let i = 0; i < total; i++) {
      logger.info({ action: 'ROTATION_TEST', seq: i, pad: 'x'.repeat(40) }, `line ${i}`);
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 40));
    }
    logger.flush();
    // Everything rotated so far gets compressed; the current file is whatever came last.
    await pollUntil('rotated files compressed', async () => {
      const names = files();
      return names.filter((n) => parseRotatedName(n)?.compressed).length >= 3 && !names.some((n) => parseRotatedName(n) && !parseRotatedName(n)!.compressed) && !names.some((n) => n.endsWith('.tmp'));
    }, 10_000, 20);
    for (const name of files()) expect(statSync(join(logsDir(), name)).mode & 0o777, name).toBe(0o600);
    const count = () => queryLogs({ logs: createJsonlLogArchive({ dir: logsDir() }), now: Date.now }, {
      query: 'filter action = "ROTATION_TEST" | stats count(*) as lines, count_distinct(seq) as distinct, min(seq) as first, max(seq) as last',
    });
    // flush() is asynchronous: wait for the last lines, then every line must be there exactly once.
    let answer = await count();
    await pollUntil('the last lines written', async () => Number((answer = await count()).rows[0]?.lines ?? 0) >= total, 5000, 20);
    expect(answer.rows).toEqual([{ lines: total, distinct: total, first: 0, last: total - 1 }]);
    expect(answer.statistics.filesRead).toBeGreaterThanOrEqual(4);
  });

  it('rotates a small file by age, and deletes rotated files past the retention period', async () => {
    mkdirSync(logsDir());
    const now = Date.parse('2030-02-01T00:00:00.000Z');
    const old = new Date(now - 2 * DAY).toISOString();
    writeFileSync(join(logsDir(), 'bbws.jsonl'), `{"level":"INFO","@timestamp":"${old}","@message":"two days old"}\n`);
    const expired = `${rotatedName(new Date(now - 40 * DAY).toISOString(), new Date(now - 31 * DAY).toISOString(), 0)}.gz`;
    const kept = `${rotatedName(new Date(now - 20 * DAY).toISOString(), new Date(now - 19 * DAY).toISOString(), 0)}.gz`;
    for (const name of [expired, kept]) writeFileSync(join(logsDir(), name), gzipSync('{}\n'));
    const report = await rotateLogs(logsDir(), policy, now);
    expect(report.rotated).toBe(rotatedName(old, new Date(now).toISOString(), 0));
    expect(report.deleted).toEqual([expired]);
    expect(files()).toEqual([report.rotated, kept].sort()); // compressed on a later pass, once writers reopened
    expect((await rotateLogs(logsDir(), policy, now + 1000)).compressed).toEqual([`${report.rotated}.gz`]);
    expect(files()).toEqual([`${report.rotated}.gz`, kept].sort());
    // A young, small file stays where it is.
    writeFileSync(join(logsDir(), 'bbws.jsonl'), `{"level":"INFO","@timestamp":"${new Date(now).toISOString()}","@message":"new"}\n`);
    expect((await rotateLogs(logsDir(), policy, now + 1000)).rotated).toBeNull();
  });

  it('does not bring back a data dir removed under a running logger', async () => {
    const logger = createLogger({ level: 'info', dataDir: dir, stdout: false, rotation: { ...policy, checkIntervalMs: 20 } });
    logger.info({ action: 'ROTATION_TEST' }, 'before');
    logger.flush();
    await pollUntil('the log file', async () => existsSync(join(logsDir(), 'bbws.jsonl')), 2000);
    rmSync(dir, { recursive: true, force: true });
    // Several ticks: each would have reopened the file, and sonic-boom's mkdir made the dir again.
    await new Promise((r) => setTimeout(r, 200));
    logger.info({ action: 'ROTATION_TEST' }, 'after');
    logger.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(dir)).toBe(false);
  });

  it('finishes what a kill -9 left: a plain file beside its .gz, a stale .tmp', async () => {
    mkdirSync(logsDir());
    const name = rotatedName('2030-01-01T00:00:00.000Z', '2030-01-01T01:00:00.000Z', 0);
    const line = '{"level":"INFO","@timestamp":"2030-01-01T00:30:00.000Z","@message":"once"}\n';
    writeFileSync(join(logsDir(), name), line);
    writeFileSync(join(logsDir(), `${name}.gz`), gzipSync(line));
    const tmp = join(logsDir(), `${name}.999.gz.tmp`);
    writeFileSync(tmp, 'half');
    // Read before the repair: the .gz alone, not both.
    const archive = createJsonlLogArchive({ dir: logsDir() });
    const range = { since: '2030-01-01T00:00:00.000Z', until: '2030-01-01T02:00:00.000Z', needles: [], fields: null };
    let seen = 0;
    await archive.scan(range, () => (seen++, true));
    expect(seen).toBe(1);
    const then = Date.parse('2030-01-01T02:00:00.000Z');
    utimesSync(tmp, new Date(then - 10 * 60_000), new Date(then - 10 * 60_000));
    await rotateLogs(logsDir(), policy, then);
    expect(files()).toEqual([`${name}.gz`]);
    expect(existsSync(tmp)).toBe(false);
  });
});
