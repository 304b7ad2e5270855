import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bbws, bbwsWith, bbwsWithClosedStdout, STACK_TRACE } from '../support/cli-process.js';
import { ecsEvent } from '../support/scripted-runtime.js';
import { startHarness, type Harness } from '../support/platform-harness.js';

const exec = promisify(execFile);

describe('bbws CLI against a running platform (found from --data-dir)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('token create prints a JWT and nothing else', async () => {
    const r = await bbws('token', 'create', '--role', 'tenant-admin', '--tenant', 'acme', '--ttl', '1h', '--data-dir', h.dataDir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    const me = await h.request('GET', '/v1.0/tenants', { token: r.stdout.trim() });
    expect(me.status).toBe(200);
    // Each token its own subject (the rate limit's bucket), unless --subject names one.
    const subjectOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')).sub as string;
    const [a, b] = await Promise.all([1, 2].map(async () => (await bbws('token', 'create', '--role', 'platform-admin', '--data-dir', h.dataDir)).stdout.trim()));
    expect(subjectOf(a)).toMatch(/^operator:[0-9a-f]{12}$/);
    expect(subjectOf(b)).not.toBe(subjectOf(a));
    expect(subjectOf(r.stdout.trim())).toMatch(/^tenant:acme:[0-9a-f]{12}$/);
    expect(subjectOf((await bbws('token', 'create', '--role', 'platform-admin', '--subject', 'ci-deploy', '--data-dir', h.dataDir)).stdout.trim())).toBe('ci-deploy');
    const bad = await bbws('token', 'create', '--role', 'tenant-admin', '--data-dir', h.dataDir);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--tenant/);
  });

  it('tenants create --wait follows the operation, list/get show it, --json is parseable', async () => {
    const created = await bbws('tenants', 'create', 'clitenant', '--wait', '--data-dir', h.dataDir);
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/SUCCEEDED\s+create-database/);
    expect(created.stdout).toMatch(/state\s+ACTIVE/);
    const list = await bbws('tenants', 'list', '--data-dir', h.dataDir);
    expect(list.stdout).toMatch(/^TENANT\s+STATE/);
    expect(list.stdout).toMatch(/clitenant\s+ACTIVE/);
    const json = JSON.parse((await bbws('tenants', 'get', 'clitenant', '--json', '--data-dir', h.dataDir)).stdout);
    expect(json.instance.provisioningState).toBe('ACTIVE');
    const opId = (await h.request('GET', '/v1.0/tenants/clitenant/operations')).body.items[0].operationId;
    const op = await bbws('operations', 'get', opId, '--data-dir', h.dataDir);
    expect(op.stdout).toMatch(/status\s+SUCCEEDED/);
    expect(op.stdout).toMatch(/await-runtime\s+SUCCEEDED/);
  });

  it('scale and delete --wait', async () => {
    expect((await bbws('tenants', 'scale', 'clitenant', '2', '--wait', '--data-dir', h.dataDir)).stdout).toMatch(/desired\s+2/);
    const del = await bbws('tenants', 'delete', 'clitenant', '--mode', 'hard', '--wait', '--json', '--data-dir', h.dataDir);
    expect(JSON.parse(del.stdout).tenant.instance.provisioningState).toBe('DEPROVISIONED');
  });

  it('queues stats, dlq list, events send', async () => {
    const stats = await bbws('queues', 'stats', '--data-dir', h.dataDir);
    expect(stats.stdout).toMatch(/bbws-wp-site-creation-dev\s+0/);
    expect(stats.stdout).toMatch(/bbws-ecs-events-dlq-dev/);
    expect((await bbws('dlq', 'list', 'bbws-ecs-events-dlq-dev', '--data-dir', h.dataDir)).stdout).toBe('(none)\n');
    await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'evtcli' } });
    const file = join(h.dataDir, 'event.json');
    writeFileSync(file, JSON.stringify(ecsEvent('dev', 'evtcli', 'SERVICE_DELETED', {}, new Date(Date.now() + 60_000))));
    const sent = await bbws('events', 'send', file, '--json', '--data-dir', h.dataDir);
    expect(JSON.parse(sent.stdout)).toMatchObject({ status: 'success', provisioningState: 'DEPROVISIONED' });
    const purge = await bbws('dlq', 'purge', 'bbws-ecs-events-dlq-dev', '--data-dir', h.dataDir);
    expect(purge.code).not.toBe(0);
    expect(purge.stderr).toMatch(/--yes/);
  });

  it('global options work before the subcommand as well as after it', async () => {
    await h.request('POST', '/v1.0/tenants', { body: { tenantName: 'optsfirst' } });
    const list = await bbws('--data-dir', h.dataDir, 'tenants', 'list');
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^TENANT\s+STATE/);
    expect(list.stdout).toMatch(/optsfirst/);
    const json = await bbws('--json', '--data-dir', h.dataDir, 'tenants', 'get', 'optsfirst');
    expect(JSON.parse(json.stdout).tenantId).toBe('optsfirst');
    const mixed = await bbws('--api-url', h.apiUrl, 'tenants', 'get', 'optsfirst', '--json', '--data-dir', h.dataDir);
    expect(JSON.parse(mixed.stdout).tenantId).toBe('optsfirst');
  });

  it('--wait outlives the token the CLI minted: it takes a new one before the old expires', async () => {
    h.runtime.stepDelayMs = 700; // 6 steps: the operation runs about 4 s, past two 2-second tokens
    try {
      const r = await bbwsWith({ BBWS_CLI_TOKEN_TTL: '2' }, 'tenants', 'create', 'slowtoken', '--wait', '--data-dir', h.dataDir);
      expect(r.stderr).not.toMatch(/TOKEN_EXPIRED/);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/state\s+ACTIVE/);
    } finally {
      h.runtime.stepDelayMs = 0;
    }
    const bad = await bbwsWith({ BBWS_CLI_TOKEN_TTL: 'soon' }, 'tenants', 'list', '--data-dir', h.dataDir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/BBWS_CLI_TOKEN_TTL must be a whole number of seconds/);
  });

  it('a caller-given token that expires says so and how to get a new one', async () => {
    const token = await h.token('platform-admin', undefined, 1);
    await new Promise((r) => setTimeout(r, 2100));
    const r = await bbws('tenants', 'list', '--token', token, '--data-dir', h.dataDir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TOKEN_EXPIRED.*bbws token create/);
  });

  it('`bbws … | head`: a reader that goes away ends the CLI quietly, without a stack trace', async () => {
    const r = await bbwsWithClosedStdout('tenants', 'list', '--data-dir', h.dataDir);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stderr).not.toMatch(/EPIPE/);
    expect(r.code).toBe(0);
  });

  it('a port in use is one line naming the process and the option to change, not a stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    const dataDir = mkdtempSync(join(tmpdir(), 'bbws-cli-port-'));
    try {
      const r = await bbws('api', '--api-port', String(port), '--data-dir', dataDir);
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(STACK_TRACE);
      expect(r.stderr).toBe(`bbws: Port ${port} is in use (by pid ${process.pid}, ${readFileSync('/proc/self/comm', 'utf8').trim()}); stop that process or pass --api-port with a free port.\n`);
    } finally {
      taken.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('--version prints the package version', async () => {
    const r = await bbws('--version');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).version}\n`);
  });

  it('the built CLI (bin/bbws.js, the bundle in dist/cli) runs commands and maps platform errors like the source does', async () => {
    const run = (...args: string[]) => exec(process.execPath, [join(__dirname, '../../bin/bbws.js'), ...args], { env: { ...process.env, BBWS_DATA_DIR: '' } }).then(
      (r) => ({ code: 0, ...r }),
      (err: any) => ({ code: err.code as number, stdout: err.stdout as string, stderr: err.stderr as string }),
    );
    const list = await run('--data-dir', h.dataDir, 'tenants', 'list', '--json');
    expect(list.stderr).toBe('');
    expect(JSON.parse(list.stdout).items).toBeInstanceOf(Array);
    // BbwsError thrown by the platform's own module (jwt.js, outside the bundle) is still one class.
    const bad = await run('token', 'create', '--role', 'bogus', '--data-dir', h.dataDir);
    expect(bad).toMatchObject({ code: 2, stderr: 'bbws: role must be one of platform-admin, tenant-admin\n' });
  });

  it('an unexpected error is one line on stderr, with the stack trace in a private file it names', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bbws-cli-corrupt-'));
    try {
      writeFileSync(join(dataDir, 'platform.json'), '{"apiUrl": ');
      const r = await bbws('tenants', 'list', '--data-dir', dataDir);
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(STACK_TRACE);
      const m = /^bbws: unexpected error: .+\nThe full detail is in (\S+); please include it when you report this\.\n$/.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      const file = m![1];
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toMatch(/command: bbws tenants list[\s\S]*SyntaxError[\s\S]*\n\s+at /);
      rmSync(join(file, '..'), { recursive: true, force: true });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('fails with a clear message and non-zero exit', async () => {
    const missing = await bbws('tenants', 'get', 'nosuch', '--data-dir', h.dataDir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404 TENANT_NOT_FOUND/);
    const noPlatform = await bbws('tenants', 'list', '--data-dir', join(h.dataDir, 'nowhere'));
    expect(noPlatform.code).toBe(1);
    expect(noPlatform.stderr).toMatch(/No running platform found .*`bbws up --data-dir/);
  });
});
