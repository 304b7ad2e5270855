/**
 * `bbws doctor` against a running platform (scripted runtime double: no servers) and a stopped
 * one. Each check is made to fail once: exposed file modes, a stale platform.json, a filled DLQ,
 * an operation past its deadline, an edited audit log, a broken state database, a nearly full
 * disk (a small tmpfs); `--fix` repairs what is safe and says so. The component checks against
 * real servers (one killed) are in test/e2e/doctor-runtime.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMemory } from '../../src/cli/doctor/local-checks.js';
import { parseConfig } from '../../src/main/config.js';
import { createLogger } from '../../src/main/logger.js';
import { startPlatform } from '../../src/main/platform.js';
import { bbws } from '../support/cli-process.js';
import { startHarness, type Harness } from '../support/platform-harness.js';
import { createScriptedRuntime, type ScriptedRuntime } from '../support/scripted-runtime.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

async function doctor(dataDir: string, ...extra: string[]) {
  const r = await bbws('doctor', '--json', '--data-dir', dataDir, ...extra);
  const report = JSON.parse(r.stdout) as { status: string; checks: { name: string; status: string; detail: string; next?: string; fixed?: string }[] };
  const check = (name: string) => report.checks.find((c) => c.name === name);
  return { code: r.code, report, check, stderr: r.stderr };
}

describe('bbws doctor', () => {
  it('passes on a healthy platform and prints what it checked', async () => {
    const d = await doctor(h.dataDir);
    expect(d.report.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(d.code).toBe(0);
    const names = d.report.checks.map((c) => c.name);
    for (const n of ['platform', 'data-dir-modes', 'data-dir-owner', 'runtime-tree', 'state-db', 'audit-chain', 'memory', 'health', 'operations', 'tenant-routes']) expect(names).toContain(n);
    expect(names.some((n) => n.startsWith('disk '))).toBe(true);
    expect(names.some((n) => n.startsWith('queue bbws-wp-site-operations-dlq-'))).toBe(true);
    const text = await bbws('doctor', '--data-dir', h.dataDir);
    expect(text.stdout).toMatch(/^PASS  platform: bbws pid \d+/m);
    expect(text.stdout).toMatch(/^PASS: \d+ pass, 0 warn, 0 fail/m);
  });

  it('fails data-dir-modes on a world-readable file and --fix makes it private', async () => {
    const key = join(h.dataDir, 'jwt.key');
    chmodSync(key, 0o644);
    const d = await doctor(h.dataDir);
    expect(d.code).toBe(2);
    expect(d.check('data-dir-modes')).toMatchObject({ status: 'fail', detail: expect.stringContaining(`${key} 0644`), next: expect.stringContaining('--fix') });
    const fixed = await doctor(h.dataDir, '--fix');
    expect(fixed.check('data-dir-modes')).toMatchObject({ status: 'pass', fixed: expect.stringContaining('private') });
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(fixed.code).toBe(0);
    const audit = await bbws('audit', 'list', '--action', 'DOCTOR_FIX', '--json', '--data-dir', h.dataDir);
    expect(JSON.parse(audit.stdout).items.map((e: any) => e.target)).toContain('data-dir-modes');
  });

  it('warns on a message in a DLQ and fails above 10 (seed 004 rollback trigger)', async () => {
    const dlq = `bbws-wp-site-operations-dlq-${h.platform.deps.env}`;
    await h.platform.deps.queue.send({ queue: dlq, body: '{"poison":1}' });
    const one = await doctor(h.dataDir);
    expect(one.code).toBe(1);
    expect(one.check(`queue ${dlq}`)).toMatchObject({ status: 'warn', detail: expect.stringContaining('1 messages'), next: expect.stringContaining(`bbws dlq redrive ${dlq}`) });
    for (let i = 0; i < 10; i++) await h.platform.deps.queue.send({ queue: dlq, body: '{"poison":1}' });
    const many = await doctor(h.dataDir);
    expect(many.code).toBe(2);
    expect(many.check(`queue ${dlq}`)?.status).toBe('fail');
    await h.platform.deps.queue.purge(dlq);
    expect((await doctor(h.dataDir)).check(`queue ${dlq}`)?.status).toBe('pass');
  });

  it('fails audit-chain on an edited entry', async () => {
    const file = join(h.dataDir, 'audit', 'audit.jsonl');
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, before.replace('"sourceIp":"local"', '"sourceIp":"10.0.0.1"'));
    const d = await doctor(h.dataDir);
    expect(d.check('audit-chain')).toMatchObject({ status: 'fail', detail: expect.stringContaining('does not match its hash') });
    writeFileSync(file, before);
  });

  it('fails data-dir-owner on a platform file owned by another user', async () => {
    const key = join(h.dataDir, 'jwt.key');
    const { chownSync } = await import('node:fs');
    chownSync(key, 65534, 65534);
    try {
      expect((await doctor(h.dataDir)).check('data-dir-owner')).toMatchObject({ status: 'fail', detail: expect.stringContaining(key), next: expect.stringContaining('chown') });
    } finally {
      chownSync(key, process.getuid!(), process.getgid!());
    }
  });

  it('fails runtime-tree on a group-writable directory and --fix removes the bits', async () => {
    const root = join(h.dataDir, 'runtime');
    mkdirSync(join(root, 'edge'), { recursive: true, mode: 0o710 });
    chmodSync(join(root, 'edge'), 0o777);
    const d = await doctor(h.dataDir);
    expect(d.check('runtime-tree')).toMatchObject({ status: 'fail', detail: expect.stringContaining(`${join(root, 'edge')} 0777`) });
    const fixed = await doctor(h.dataDir, '--fix');
    expect(fixed.check('runtime-tree')?.status).toBe('pass');
    expect(statSync(join(root, 'edge')).mode & 0o777).toBe(0o710);
    rmSync(root, { recursive: true, force: true });
  });
});

describe('bbws doctor without a running platform', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bbws-doctor-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails platform on a stale platform.json (--fix removes it) and state-db on a corrupt file', async () => {
    const dataDir = join(dir, 'stopped');
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(join(dataDir, 'platform.json'), JSON.stringify({ apiUrl: 'http://127.0.0.1:1', pid: 2 ** 22 + 1, env: 'dev', edgePort: 1 }), { mode: 0o600 });
    writeFileSync(join(dataDir, 'state.db'), 'SQLite format 3\0 this is not a database', { mode: 0o600 });
    const d = await doctor(dataDir);
    expect(d.code).toBe(2);
    expect(d.check('platform')).toMatchObject({ status: 'fail', detail: expect.stringContaining('not running'), next: expect.stringContaining('bbws up') });
    expect(d.check('state-db')).toMatchObject({ status: 'fail', next: expect.stringContaining('restore') });
    expect(d.check('health')).toBeUndefined();
    const fixed = await doctor(dataDir, '--fix');
    expect(fixed.check('platform')).toMatchObject({ status: 'fail', detail: expect.stringContaining('no platform.json'), fixed: expect.stringContaining('removed') });
  });

  it('fails disk on a nearly full file system (a 16 MiB tmpfs)', async () => {
    if (process.getuid?.() !== 0) return; // mounting needs root (CI runs as root)
    const mnt = join(dir, 'small');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,nr_inodes=64,mode=0700', 'tmpfs', mnt]);
    try {
      const dataDir = join(mnt, 'data');
      mkdirSync(dataDir, { mode: 0o700 });
      execFileSync('dd', ['if=/dev/zero', `of=${join(mnt, 'fill')}`, 'bs=1M', 'count=15'], { stdio: 'ignore' });
      for (let i = 0; i < 60; i++) writeFileSync(join(mnt, `f${i}`), '');
      const d = await doctor(dataDir);
      expect(d.check(`inodes ${dataDir}`)).toMatchObject({ status: 'fail', next: expect.stringContaining('small files') });
      expect(d.check(`disk ${dataDir}`)).toMatchObject({ status: 'fail', detail: expect.stringMatching(/MiB free \(\d+\.\d %\)/), next: expect.stringContaining('free space') });
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});

describe('doctor checks that need a broken platform of their own', () => {
  it('fails operations when one is past its deadline (no reconciler running to fail it)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bbws-doctor-ops-'));
    let runtime!: ScriptedRuntime;
    const platform = await startPlatform({
      config: parseConfig({ dataDir, apiPort: 0, edgePort: 0 }, { BBWS_RATE_LIMIT: '0', BBWS_OPERATION_DEADLINE_MINUTES: '0.005' }),
      roles: ['api', 'worker', 'events'],
      logger: createLogger({ level: 'info', dataDir, stdout: false }),
      createRuntime: async ({ emit }) => {
        runtime = createScriptedRuntime(emit);
        runtime.reportSteadyState = false;
        return runtime;
      },
    });
    try {
      const token = await (await import('../../src/adapters/auth/jwt.js')).createTokenAuthority((await import('../../src/adapters/auth/jwt.js')).loadOrCreateSigningKey(join(dataDir, 'jwt.key'))).sign({ role: 'platform-admin' }, 600);
      const res = await fetch(`${platform.apiUrl}/v1.0/tenants`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ tenantName: 'latetenant' }) });
      expect(res.status).toBe(202);
      await new Promise((r) => setTimeout(r, 1_000));
      const d = await doctor(dataDir);
      expect(d.check('operations')).toMatchObject({ status: 'fail', detail: expect.stringContaining('latetenant'), next: expect.stringContaining('bbws operations retry') });
    } finally {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('memory: warns below 10 % and fails below 5 % available', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bbws-meminfo-'));
    try {
      const write = (avail: number) => {
        writeFileSync(join(dir, 'meminfo'), `MemTotal:       1000000 kB\nMemFree:          10000 kB\nMemAvailable:   ${avail} kB\n`);
        return checkMemory(join(dir, 'meminfo')).result;
      };
      expect(write(500000).status).toBe('pass');
      expect(write(80000)).toMatchObject({ status: 'warn', next: expect.stringContaining('ps -eo rss') });
      expect(write(40000).status).toBe('fail');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
