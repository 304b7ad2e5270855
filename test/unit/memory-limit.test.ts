/**
 * `@memorySize` is the process's memory limit (cgroup, else configured, else V8's heap limit),
 * never the host's RAM; every log line names its stream; secrets in log fields are redacted.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { reportFields } from '../../src/app/report-line.js';
import { createLogger } from '../../src/main/logger.js';
import { cgroupMemoryLimit, processMemoryLimitMb } from '../../src/main/memory-limit.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake /sys/fs/cgroup and /proc/self/cgroup: `files` maps paths under the root to contents. */
function fakeCgroup(membership: string, files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-cgroup-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'root', path)), { recursive: true });
    writeFileSync(join(dir, 'root', path), text);
  }
  writeFileSync(join(dir, 'cgroup'), membership);
  return { cgroupRoot: join(dir, 'root'), procCgroup: join(dir, 'cgroup') };
}

describe('process memory limit', () => {
  it('reads cgroup v2 memory.max, the tightest of the cgroup and its parents', () => {
    const s = fakeCgroup('0::/system.slice/bbws.service\n', {
      'memory.max': 'max\n',
      'system.slice/memory.max': `${512 * 2 ** 20}\n`,
      'system.slice/bbws.service/memory.max': 'max\n',
    });
    expect(cgroupMemoryLimit(s)).toBe(512 * 2 ** 20);
    expect(processMemoryLimitMb({ ...s, configuredMb: '4096' })).toBe(512);
  });

  it('reads cgroup v1 memory.limit_in_bytes; its "unlimited" (2^63 rounded) counts as none', () => {
    const v1 = fakeCgroup('4:memory:/process_api/abc\n3:cpuset:/\n0::/\n', {
      'memory/memory.limit_in_bytes': '9223372036854771712\n',
      'memory/process_api/memory.limit_in_bytes': '9223372036854771712\n',
      'memory/process_api/abc/memory.limit_in_bytes': `${256 * 2 ** 20}\n`,
    });
    expect(processMemoryLimitMb(v1)).toBe(256);
    const unlimited = fakeCgroup('4:memory:/x\n', { 'memory/memory.limit_in_bytes': '9223372036854771712\n', 'memory/x/memory.limit_in_bytes': '9223372036854771712\n' });
    expect(cgroupMemoryLimit(unlimited)).toBeUndefined();
    expect(processMemoryLimitMb({ ...unlimited, configuredMb: '768' })).toBe(768);
  });

  it("without a cgroup limit or a setting, is V8's heap limit, not the host's RAM; a bad setting is refused", () => {
    const none = fakeCgroup('0::/\n', { 'memory.max': 'max\n' });
    const heapMb = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
    expect(processMemoryLimitMb(none)).toBe(heapMb);
    expect(() => processMemoryLimitMb({ ...none, configuredMb: '1.5G' })).toThrow(/BBWS_MEMORY_LIMIT_MB/);
  });
});

describe('log lines', () => {
  it('carry @logStream (date, role, pid), a REPORT @memorySize that is the process limit, and no secret values', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bbws-logger-'));
    dirs.push(dataDir);
    const logger = createLogger({ level: 'info', dataDir, stdout: false, role: 'api+worker' });
    logger.info({ headers: { authorization: 'Bearer sekrit-token' }, input: { password: 'hunter2-pass' }, adminPassword: 'show-once-pw' }, 'request with secrets');
    logger.info({ ...reportFields('req-1', 1.5) }, 'REPORT RequestId: req-1');
    logger.flush();
    await new Promise((r) => setTimeout(r, 50));
    const text = readFileSync(join(dataDir, 'logs', 'bbws.jsonl'), 'utf8');
    for (const secret of ['sekrit-token', 'hunter2-pass', 'show-once-pw']) expect(text).not.toContain(secret);
    const [plain, report] = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(plain.input.password).toBe('[redacted]');
    const stream = new RegExp(`^\\d{4}/\\d{2}/\\d{2}/\\[api\\+worker\\]${process.pid}$`);
    expect(plain['@logStream']).toMatch(stream);
    expect(report['@logStream']).toMatch(stream);
    expect(report['@memorySize']).toBe(processMemoryLimitMb());
    expect(report['@memorySize']).not.toBe(Math.round(totalmem() / 2 ** 20));
  });
});
