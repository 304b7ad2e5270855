/**
 * The alarm evaluator as a role of the running platform: a filled DLQ raises the seed's
 * "DLQ > 10" alarm, /health names it, the transition is in the log (found with a log query),
 * and `bbws alarms list|history|set|mute|rules` and GET /v1.0/alarms work against it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenAuthority, loadOrCreateSigningKey } from '../../src/adapters/auth/jwt.js';
import { parseConfig } from '../../src/main/config.js';
import { createLogger } from '../../src/main/logger.js';
import { startPlatform, type RunningPlatform } from '../../src/main/platform.js';
import { bbws } from '../support/cli-process.js';
import { pollUntil } from '../support/poll.js';

let dataDir: string;
let platform: RunningPlatform;
let token: string;
const api = async (method: string, path: string, body?: unknown, bearer = token) => {
  const res = await fetch(platform.apiUrl + path, { method, headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, text, body: (() => { try { return JSON.parse(text); } catch { return text; } })() };
};
const alarm = async (name: string) => (await api('GET', '/v1.0/alarms')).body.items.find((a: any) => a.name === name);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'bbws-alarms-platform-'));
  const config = parseConfig({ dataDir, apiPort: 0, edgePort: 0 }, { BBWS_RATE_LIMIT: '0' });
  platform = await startPlatform({ config, roles: ['api', 'reconciler', 'alarms'], logger: createLogger({ level: 'info', dataDir, stdout: false }), reconcileIntervalMs: 100, alarmIntervalMs: 100 });
  token = await createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key'))).sign({ role: 'platform-admin' }, 3600);
});
afterAll(async () => {
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('alarms on a running platform', () => {
  it('a DLQ with 11 messages puts bbws-wp-dlq-messages in ALARM, and /health says so', async () => {
    expect((await alarm('bbws-wp-dlq-messages')).threshold).toBe(10);
    for (let i = 0; i < 11; i++) await platform.deps.queue.send({ queue: platform.deps.queues.siteOperationsDlq, body: JSON.stringify({ i }) });
    const firing = await pollUntil('the DLQ alarm', async () => ((await alarm('bbws-wp-dlq-messages')).state === 'ALARM' ? alarm('bbws-wp-dlq-messages') : undefined), 10_000, 50);
    expect(firing).toMatchObject({ value: 11, severity: 'P2', action: 'alert', mutedUntil: null });
    const health = await (await fetch(`${platform.apiUrl}/health`)).json();
    expect(health.components.find((c: any) => c.name === 'alarms')).toMatchObject({ status: 'degraded' });
    expect(health.components.find((c: any) => c.name === 'alarms').detail).toContain('bbws-wp-dlq-messages (P2)');
    const logged = await pollUntil('the transition in the log', async () => {
      const q = await api('GET', `/v1.0/logs/query?query=${encodeURIComponent('fields alarm, status, severity | filter action = "ALARM_STATE_CHANGED" and alarm = "bbws-wp-dlq-messages" and status = "ALARM"')}`);
      return q.body.rows?.[0];
    }, 5000, 50);
    expect(logged).toEqual({ alarm: 'bbws-wp-dlq-messages', status: 'ALARM', severity: 'P2' });
    const doctor = JSON.parse((await bbws('doctor', '--json', '--data-dir', dataDir)).stdout);
    expect(doctor.checks.find((c: any) => c.name === 'alarms')).toMatchObject({ status: 'warn', detail: expect.stringContaining('bbws-wp-dlq-messages (P2') });
  });

  it('GET /v1.0/alarms is for platform admins; PUT checks the alarm and the setting', async () => {
    const tenantToken = await createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key'))).sign({ role: 'tenant-admin', tenantId: 'acme' }, 600);
    expect((await api('GET', '/v1.0/alarms', undefined, tenantToken)).status).toBe(403);
    expect((await api('PUT', '/v1.0/alarms/bbws-wp-nope', { threshold: 1 })).body.error.code).toBe('ALARM_NOT_FOUND');
    const bad = await api('PUT', '/v1.0/alarms/bbws-wp-api-5xx-rate', { threshold: 101 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'ALARM_SETTING_INVALID', details: { field: 'threshold' } });
    expect((await alarm('bbws-wp-api-5xx-rate')).threshold).toBe(10);
  });

  it('bbws alarms list, mute, history, set and rules', async () => {
    const list = await bbws('alarms', 'list', '--state', 'alarm', '--data-dir', dataDir);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/bbws-wp-dlq-messages\s+ALARM\s+P2\s+alert\s+> 10 messages over 1×60s\s+11/);
    const mute = await bbws('alarms', 'mute', 'bbws-wp-dlq-messages', '--for', '30m', '--data-dir', dataDir, '--json');
    expect(JSON.parse(mute.stdout).mutedUntil).not.toBeNull();
    const health = await (await fetch(`${platform.apiUrl}/health`)).json();
    const detail = health.components.find((c: any) => c.name === 'alarms').detail;
    expect(detail).toContain('bbws-wp-dlq-not-empty (P3)'); // still firing: only the other one is muted
    expect(detail).not.toContain('bbws-wp-dlq-messages'); // a muted alarm is not reported as firing
    const history = await bbws('alarms', 'history', 'bbws-wp-dlq-messages', '--data-dir', dataDir, '--json');
    expect(JSON.parse(history.stdout).items[0]).toMatchObject({ to: 'ALARM', value: 11 });
    const wrong = await bbws('alarms', 'set', 'bbws-wp-dlq-messages', '--threshold', 'ten', '--data-dir', dataDir);
    expect(wrong).toMatchObject({ code: 2, stderr: 'bbws: --threshold takes a number (got "ten").\n' });
    const set = await bbws('alarms', 'set', 'bbws-wp-dlq-messages', '--threshold', '20', '--data-dir', dataDir);
    expect(set.stdout).toContain('> 20 messages over 1×60s');
    await pollUntil('the alarm back to OK at threshold 20', async () => (await alarm('bbws-wp-dlq-messages')).state === 'OK', 10_000, 50);
    const rules = await bbws('alarms', 'rules', '--data-dir', dataDir);
    const file = join(dataDir, 'rules.yml');
    writeFileSync(file, rules.stdout);
    expect(execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' })).toContain('SUCCESS');
    expect(rules.stdout).toContain('max(max_over_time(DLQMessages[60s]))) > 20');
  });
});
