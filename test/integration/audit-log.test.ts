/**
 * The audit log: the hash chain finds an edited, deleted, moved or cut-off entry and says where;
 * several processes append without breaking the chain; a kill -9 mid-append leaves an intact
 * chain; a torn last line is reported, then moved aside and recorded by the next append.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { auditFileOf, createJsonlAuditLog } from '../../src/adapters/audit/jsonl-audit-log.js';
import type { AuditEntryInput } from '../../src/ports/audit.js';
import { pollUntil } from '../support/poll.js';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const writer = join(repoRoot, 'test', 'support', 'audit-writer.ts');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bbws-audit-'));
  dirs.push(d);
  return join(d, 'audit');
}
const entry = (i: number): AuditEntryInput => ({
  actor: { subject: 'operator:x', role: 'platform-admin', tenantId: null },
  sourceIp: '127.0.0.1',
  action: 'POST /v1.0/tenants',
  target: '/v1.0/tenants',
  tenantId: `tenant${i}`,
  result: { statusCode: 202, errorCode: null },
  correlationId: `c${i}`,
});

function writeEntries(dir: string, n: number): string[] {
  const log = createJsonlAuditLog({ dir });
  for (let i = 1; i <= n; i++) log.record(entry(i));
  log.close();
  return readFileSync(auditFileOf(dir), 'utf8').trimEnd().split('\n');
}
async function verify(dir: string) {
  const log = createJsonlAuditLog({ dir });
  try {
    return await log.verify();
  } finally {
    log.close();
  }
}
const rewrite = (dir: string, lines: string[]) => writeFileSync(auditFileOf(dir), lines.map((l) => `${l}\n`).join(''));

describe('audit log hash chain', () => {
  it('verifies an untouched chain, private files', async () => {
    const dir = tempDir();
    writeEntries(dir, 5);
    const result = await verify(dir);
    expect(result).toMatchObject({ ok: true, entries: 5, problems: [] });
    expect(result.head?.seq).toBe(5);
    expect(statSync(auditFileOf(dir)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'audit.lock')).mode & 0o777).toBe(0o600);
  });

  it('finds an edited entry and names its line', async () => {
    const dir = tempDir();
    const lines = writeEntries(dir, 5);
    lines[2] = lines[2].replace('"statusCode":202', '"statusCode":200');
    rewrite(dir, lines);
    const result = await verify(dir);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([expect.objectContaining({ line: 3, seq: 3, kind: 'edited' })]);
  });

  it('finds an edit that recomputes the edited line\'s own hash (the next line no longer links)', async () => {
    const dir = tempDir();
    const lines = writeEntries(dir, 4);
    const { formatAuditLine } = await import('../../src/adapters/audit/hash-chain.js');
    const e = JSON.parse(lines[1]);
    lines[1] = formatAuditLine(e.seq, e.time, { ...entry(2), tenantId: 'someoneelse' }, e.prev).line.trimEnd();
    rewrite(dir, lines);
    const result = await verify(dir);
    expect(result.problems).toEqual([expect.objectContaining({ line: 3, seq: 3, kind: 'deleted-or-reordered' })]);
  });

  it('finds a deleted entry', async () => {
    const dir = tempDir();
    const lines = writeEntries(dir, 5);
    lines.splice(1, 1);
    rewrite(dir, lines);
    const result = await verify(dir);
    expect(result.problems).toEqual([expect.objectContaining({ line: 2, seq: 3, kind: 'deleted-or-reordered' })]);
    expect(result.problems[0].message).toContain('seq 3 follows seq 1');
  });

  it('finds reordered entries', async () => {
    const dir = tempDir();
    const lines = writeEntries(dir, 5);
    [lines[1], lines[2]] = [lines[2], lines[1]];
    rewrite(dir, lines);
    const result = await verify(dir);
    expect(result.problems.map((p) => p.line)).toEqual([2, 3, 4]);
  });

  it('finds entries cut off the end (against the head recorded beside the log)', async () => {
    const dir = tempDir();
    const lines = writeEntries(dir, 5);
    rewrite(dir, lines.slice(0, 3));
    const result = await verify(dir);
    expect(result.ok).toBe(false);
    expect(result.problems[0].message).toContain('ends at seq 3 but seq 5 was written');
  });

  it('finds a line that is not an entry', async () => {
    const dir = tempDir();
    const lines = writeEntries(dir, 3);
    lines.splice(1, 0, '{"hello":"world"}');
    rewrite(dir, lines);
    expect((await verify(dir)).problems[0]).toMatchObject({ line: 2, kind: 'not-an-entry' });
  });

  it('reports a torn last line, then the next append moves it aside and records the repair', async () => {
    const dir = tempDir();
    writeEntries(dir, 3);
    appendFileSync(auditFileOf(dir), '{"seq":4,"time":"2026-');
    const torn = await verify(dir);
    expect(torn.problems).toEqual([expect.objectContaining({ line: 4, kind: 'torn-tail' })]);

    const log = createJsonlAuditLog({ dir });
    log.record(entry(9));
    log.close();
    const repaired = await verify(dir);
    expect(repaired).toMatchObject({ ok: true, entries: 5, repairs: [expect.objectContaining({ seq: 4, bytes: 22 })] });
    const aside = readdirSync(dir).find((f) => f.startsWith('audit.jsonl.torn-'));
    expect(aside && readFileSync(join(dir, aside), 'utf8')).toBe('{"seq":4,"time":"2026-');
  });

  it('filters by since, tenant, actor and action', async () => {
    const dir = tempDir();
    writeEntries(dir, 4);
    const log = createJsonlAuditLog({ dir });
    try {
      expect((await log.list({ tenantId: 'tenant2' })).map((e) => e.seq)).toEqual([2]);
      expect(await log.list({ actor: 'nobody' })).toEqual([]);
      expect((await log.list({ action: 'POST' })).length).toBe(4);
      expect((await log.list({ limit: 2 })).map((e) => e.seq)).toEqual([3, 4]);
      expect(await log.list({ since: '2999-01-01T00:00:00.000Z' })).toEqual([]);
    } finally {
      log.close();
    }
  });
});

describe('audit log retention', () => {
  const at = (iso: string) => () => Date.parse(iso);
  it('expires entries older than the cutoff; the kept chain verifies from the anchor and goes on', async () => {
    const dir = tempDir();
    const old = createJsonlAuditLog({ dir, now: at('2025-01-01T00:00:00.000Z') });
    for (let i = 1; i <= 3; i++) old.record(entry(i));
    old.close();
    const current = createJsonlAuditLog({ dir, now: at('2026-06-01T00:00:00.000Z') });
    try {
      current.record(entry(4));
      expect(current.expire('2025-12-01T00:00:00.000Z')).toBe(3);
      current.record(entry(5));
      const kept = await current.list({});
      expect(kept.map((e) => e.seq)).toEqual([4, 5, 6]);
      expect(kept.map((e) => e.action)).toEqual(['POST /v1.0/tenants', 'AUDIT_EXPIRED', 'POST /v1.0/tenants']);
      expect(kept[1]!.details).toMatchObject({ removed: 3, before: '2025-12-01T00:00:00.000Z' });
      expect(await current.verify()).toMatchObject({ ok: true, entries: 3, problems: [] });
      expect(current.expire('2025-12-01T00:00:00.000Z')).toBe(0);
      expect(statSync(join(dir, 'audit.anchor')).mode & 0o777).toBe(0o600);
    } finally {
      current.close();
    }
  });

  it('still finds an entry deleted after the anchor, and entries removed beyond it', async () => {
    const dir = tempDir();
    const old = createJsonlAuditLog({ dir, now: at('2025-01-01T00:00:00.000Z') });
    for (let i = 1; i <= 2; i++) old.record(entry(i));
    old.close();
    const log = createJsonlAuditLog({ dir, now: at('2026-06-01T00:00:00.000Z') });
    for (let i = 3; i <= 5; i++) log.record(entry(i));
    log.expire('2025-12-01T00:00:00.000Z');
    log.close();
    const lines = readFileSync(auditFileOf(dir), 'utf8').trimEnd().split('\n');
    rewrite(dir, lines.slice(1)); // the first kept entry removed as well
    const result = await verify(dir);
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatchObject({ line: 1, kind: 'deleted-or-reordered' });
  });

  it('a writer in another process appends to the file an expiry replaced', async () => {
    const dir = tempDir();
    const a = createJsonlAuditLog({ dir, now: at('2025-01-01T00:00:00.000Z') });
    const b = createJsonlAuditLog({ dir, now: at('2026-06-01T00:00:00.000Z') });
    try {
      a.record(entry(1));
      b.record(entry(2));
      expect(b.expire('2025-12-01T00:00:00.000Z')).toBe(1);
      a.record(entry(3)); // a's descriptor still named the old file
      expect((await b.list({})).map((e) => e.correlationId)).toEqual(['c2', null, 'c3']);
      expect(await b.verify()).toMatchObject({ ok: true, entries: 3 });
    } finally {
      a.close();
      b.close();
    }
  });

  it('an expiry of every entry goes on from the anchor, not from the genesis', async () => {
    const dir = tempDir();
    const log = createJsonlAuditLog({ dir, now: at('2025-01-01T00:00:00.000Z') });
    for (let i = 1; i <= 2; i++) log.record(entry(i));
    expect(log.expire('2025-12-01T00:00:00.000Z')).toBe(2);
    log.close();
    const reader = createJsonlAuditLog({ dir });
    const kept = await reader.list({});
    reader.close();
    expect(kept.map((e) => e.seq)).toEqual([3]);
    expect(await verify(dir)).toMatchObject({ ok: true, entries: 1 });
  });
});

function runWriter(dir: string, name: string, count: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, name, String(count)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, lines, exited };
}

describe('audit log across processes', () => {
  it('three processes appending at once keep one chain', async () => {
    const dir = tempDir();
    createJsonlAuditLog({ dir }).close();
    const runs = ['a', 'b', 'c'].map((n) => runWriter(dir, n, 300));
    expect(await Promise.all(runs.map((r) => r.exited))).toEqual([0, 0, 0]);
    const result = await verify(dir);
    expect(result).toMatchObject({ ok: true, entries: 900 });
  }, 60_000);

  it('kill -9 while appending leaves an intact chain that goes on', async () => {
    const dir = tempDir();
    createJsonlAuditLog({ dir }).close();
    const run = runWriter(dir, 'k', 0);
    await pollUntil('the writer to append', async () => run.lines.length >= 10, 30_000);
    run.child.kill('SIGKILL');
    await run.exited;
    const before = await verify(dir);
    expect(before.ok).toBe(true);
    expect(before.entries).toBeGreaterThanOrEqual(500);
    const log = createJsonlAuditLog({ dir });
    log.record(entry(1));
    log.close();
    expect(await verify(dir)).toMatchObject({ ok: true, entries: before.entries + 1 });
    expect(existsSync(join(dir, 'audit.lock'))).toBe(true);
  }, 60_000);
});
