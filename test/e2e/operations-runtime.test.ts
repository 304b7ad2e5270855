/**
 * `bbws doctor` and `bbws security-scan` against the whole platform with real MariaDB, php-fpm,
 * nginx and a WordPress tenant: both clean on a fresh install; the doctor fails when a tenant's
 * route breaks and warns when nginx was killed (and restarted by the supervisor); the scan finds
 * planted problems (a world-readable wp-config.php, a known-vulnerable plugin version, an access
 * key in uploads) and its SARIF validates against the SARIF 2.1.0 schema.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutAt, runtimeRootOf, tenantPaths } from '../../src/adapters/runtime/local/layout.js';
import { bbws } from '../support/cli-process.js';
import { startLocalPlatform, type LocalPlatform } from '../support/platform-local-harness.js';
import { validateSarif } from '../support/sarif-schema.js';

let p: LocalPlatform;
let paths: ReturnType<typeof tenantPaths>;
beforeAll(async () => {
  p = await startLocalPlatform();
  const created = await p.api('POST', '/v1.0/tenants', { tenantName: 'opsscan' });
  expect((await p.waitForOperation(created.body.operationId)).status).toBe('SUCCEEDED');
  paths = tenantPaths(layoutAt(runtimeRootOf(p.dataDir)), 'opsscan');
}, 240_000);
afterAll(async () => p?.stop());

async function doctor() {
  const r = await bbws('doctor', '--json', '--data-dir', p.dataDir);
  const report = JSON.parse(r.stdout) as { checks: { name: string; status: string; detail: string; next?: string }[] };
  return { code: r.code, report, check: (name: string) => report.checks.find((c) => c.name === name) };
}

async function scan(type: string) {
  const r = await bbws('security-scan', '--type', type, '--no-dependencies', '--format', 'sarif', '--data-dir', p.dataDir);
  const sarif = JSON.parse(r.stdout);
  expect(validateSarif(sarif), JSON.stringify(validateSarif.errors)).toBe(true);
  return { code: r.code, results: sarif.runs[0].results as { ruleId: string; level: string; message: { text: string }; properties: { severity: string } }[] };
}

describe('doctor and security-scan on the real runtime', () => {
  it('a fresh install: doctor passes every check, the scans find nothing critical', async () => {
    const d = await doctor();
    expect(d.report.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(d.code).toBe(0);
    expect(d.check('tenant-routes')?.detail).toContain('1 ACTIVE tenants answer');
    expect(d.check('component nginx')?.status).toBe('pass');
    for (const type of ['comprehensive', 'infrastructure']) {
      const s = await scan(type);
      expect(s.results.filter((r) => r.properties.severity === 'critical'), type).toEqual([]);
      expect(s.code).toBe(0);
    }
  }, 120_000);

  it('perf-test basic loads the tenant\'s homepage through the real edge', async () => {
    const r = await bbws('perf-test', '--type', 'basic', '--target', 'sites', '--users', '2', '--duration', '2', '--json', '--data-dir', p.dataDir);
    const report = JSON.parse(r.stdout);
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0]).toMatchObject({ target: 'site opsscan.wpdev.localhost', errorRate: 0 });
    expect(report.runs[0].requests).toBeGreaterThan(5);
    expect(r.code).toBe(report.pass ? 0 : 1);
  }, 60_000);

  it('the scan finds a world-readable wp-config.php, a vulnerable plugin and an access key in uploads', async () => {
    const mode = statSync(paths.wpConfig).mode & 0o777;
    const uploads = join(paths.content, 'uploads', 'notes');
    const plugin = join(paths.content, 'plugins', 'wp-file-manager');
    try {
      chmodSync(paths.wpConfig, 0o644);
      mkdirSync(uploads, { recursive: true });
      writeFileSync(join(uploads, 'deploy.txt'), 'aws key: AKIAZ7QWERTYUIOPASDF\n');
      mkdirSync(plugin, { recursive: true });
      writeFileSync(join(plugin, 'wp-file-manager.php'), "<?php\n/*\nPlugin Name: WP File Manager\nVersion: 6.8\n*/\n");
      const s = await scan('comprehensive');
      expect(s.code).toBe(2);
      const critical = s.results.filter((r) => r.properties.severity === 'critical');
      expect(critical.map((r) => r.ruleId).sort()).toEqual(['BBWS-FS-002', 'BBWS-PLG-001', 'BBWS-SEC-001']);
      expect(critical.find((r) => r.ruleId === 'BBWS-PLG-001')?.message.text).toContain('CVE-2020-25213');
      expect(critical.find((r) => r.ruleId === 'BBWS-SEC-001')?.message.text).not.toContain('AKIAZ7QWERTYUIOPASDF');
      const text = await bbws('security-scan', '--type', 'comprehensive', '--no-dependencies', '--data-dir', p.dataDir);
      expect(text.stdout).toContain('risk level CRITICAL');
      expect(text.stdout).toContain('recommendations:');
    } finally {
      chmodSync(paths.wpConfig, mode);
      rmSync(join(paths.content, 'uploads', 'notes'), { recursive: true, force: true });
      rmSync(plugin, { recursive: true, force: true });
    }
  }, 120_000);

  it('the infrastructure scan finds an anonymous account and a grant outside the tenant\'s database', async () => {
    const socket = layoutAt(runtimeRootOf(p.dataDir)).mariadbSocket;
    const sql = (q: string) => execFileSync('mariadb', ['--no-defaults', `--socket=${socket}`, '--user=root', '-e', q]);
    sql("CREATE USER ''@'localhost'; GRANT SELECT ON mysql.* TO 'opsscan_user'@'%'");
    try {
      const s = await scan('infrastructure');
      expect(s.code).toBe(2);
      const texts = s.results.filter((r) => r.ruleId === 'BBWS-DB-001').map((r) => r.message.text);
      expect(texts).toEqual(expect.arrayContaining([expect.stringContaining("anonymous account ''@'localhost'"), expect.stringContaining('GRANT SELECT ON `mysql`.*')]));
    } finally {
      sql("DROP USER ''@'localhost'; REVOKE SELECT ON mysql.* FROM 'opsscan_user'@'%'");
    }
  }, 60_000);

  it('doctor fails tenant-routes when the route breaks', async () => {
    const mode = statSync(paths.www).mode & 0o7777;
    chmodSync(paths.www, 0o000);
    try {
      const d = await doctor();
      expect(d.check('tenant-routes')).toMatchObject({ status: 'fail', detail: expect.stringContaining('opsscan'), next: expect.stringContaining('bbws tenants get') });
      expect(d.code).toBe(2);
    } finally {
      chmodSync(paths.www, mode);
    }
  }, 60_000);

  it('doctor reports a killed nginx: down or restarted', async () => {
    const health = (await fetch(`${p.platform.apiUrl}/health`).then((r) => r.json())) as { components: { name: string; detail: string }[] };
    const pid = Number(/pid (\d+)/.exec(health.components.find((c) => c.name === 'nginx')!.detail)![1]);
    process.kill(pid, 'SIGKILL');
    await p.waitFor('nginx restarted', async () => {
      const h = (await fetch(`${p.platform.apiUrl}/health`).then((r) => r.json())) as { components: { name: string; status: string; restarts?: number }[] };
      const n = h.components.find((c) => c.name === 'nginx')!;
      return n.status === 'ok' && (n.restarts ?? 0) > 0;
    });
    const d = await doctor();
    expect(d.check('component nginx')).toMatchObject({ status: 'warn', detail: expect.stringContaining('restarted 1 time(s)'), next: expect.stringContaining('log') });
    expect(d.code).toBe(1);
  }, 60_000);
});
