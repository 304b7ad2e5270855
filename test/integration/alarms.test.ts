/**
 * Alarm evaluation under a manual clock, on a real SQLite file and real prom-client metrics:
 * the seeds' thresholds, OK / ALARM / INSUFFICIENT_DATA with history, evaluation periods,
 * a restart that keeps states, history and metric samples, set / mute, the webhook event, and
 * the same definitions as Prometheus rules that promtool accepts and whose unit test fires.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteAlarmStore } from '../../src/adapters/alarms/sqlite-alarms.js';
import { createPrometheusMetrics, type PrometheusMetrics } from '../../src/adapters/metrics/prometheus.js';
import { createWebhookNotifier } from '../../src/adapters/notifier/webhooks.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { alarmHistory, listAlarms, muteAlarm, prometheusRules, setAlarm } from '../../src/app/alarms/alarm-commands.js';
import { createAlarmEvaluator, type AlarmEvaluator } from '../../src/app/alarms/evaluate-alarms.js';
import { DEFAULT_ALARMS } from '../../src/domain/alarms.js';
import type { Notifier } from '../../src/ports/notifier.js';
import type { WebhookSubscriptions } from '../../src/ports/webhook-subscriptions.js';
import type { AlarmStore } from '../../src/ports/alarms.js';
import { expectBbwsError } from '../support/expect-error.js';
import { silentLogger } from '../support/local-runtime-harness.js';
import { createManualClock, type ManualClock } from '../support/manual-clock.js';
import { pollUntil } from '../support/poll.js';

let dir: string;
let db: SqliteDatabase;
let store: AlarmStore;
let metrics: PrometheusMetrics;
let clock: ManualClock;
let evaluator: AlarmEvaluator;
let notifier: (Notifier & WebhookSubscriptions) | null = null;
let logLines: Array<Record<string, unknown>> = [];
let notifierDb: SqliteDatabase | null = null;
let logger = silentLogger(logLines);

/** A process: its own registry and evaluator on the shared state file (a restart makes a new one). */
function startProcess() {
  db = openSqliteDatabase(join(dir, 'state.db'));
  store = createSqliteAlarmStore(db);
  metrics = createPrometheusMetrics({ defaultMetrics: false });
  evaluator = createAlarmEvaluator({ alarms: store, logger, notifier, now: clock.now, readMetrics: () => metrics.snapshot() });
}

const deps = () => ({ alarms: store, logger, now: clock.now });
const stateOf = async (name: string) => (await listAlarms(deps())).find((a) => a.name === name)!.state;
/** A tick a minute, as the role runs. */
async function minutes(n: number, each?: () => void) {
  for (let i = 0; i < n; i++) {
    clock.advance(60_000);
    each?.();
    await evaluator.tick();
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bbws-alarms-'));
  clock = createManualClock();
  notifier = null;
  logLines = [];
  logger = silentLogger(logLines);
  startProcess();
});
afterEach(async () => {
  await notifier?.close();
  notifierDb?.close();
  notifierDb = null;
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('alarm evaluation', () => {
  it('moves job errors INSUFFICIENT_DATA → OK → ALARM → OK on the seed threshold (> 50 in 5 minutes)', async () => {
    expect(await stateOf('bbws-wp-job-errors')).toBe('INSUFFICIENT_DATA');
    await minutes(1);
    expect(await stateOf('bbws-wp-job-errors')).toBe('OK');
    metrics.increment('bbws_jobs_total', { queue: 'q', status: 'failed' }, 50);
    await minutes(1);
    expect(await stateOf('bbws-wp-job-errors')).toBe('OK'); // 50 is not > 50
    expect(await stateOf('bbws-wp-job-errors-warning')).toBe('ALARM'); // ≥ 10
    metrics.increment('bbws_jobs_total', { queue: 'q', status: 'failed' }, 1);
    metrics.increment('bbws_jobs_total', { queue: 'q', status: 'ok' }, 1000);
    await minutes(1);
    expect(await stateOf('bbws-wp-job-errors')).toBe('ALARM');
    await minutes(5); // the failures leave the 5-minute window
    expect(await stateOf('bbws-wp-job-errors')).toBe('OK');
    const history = await alarmHistory(deps(), { alarm: 'bbws-wp-job-errors' });
    expect(history.map((t) => `${t.from}->${t.to}`)).toEqual(['ALARM->OK', 'OK->ALARM', 'INSUFFICIENT_DATA->OK']);
    expect(history[1]).toMatchObject({ value: 51, muted: false });
    expect(history[1].reason).toContain('[51] against > 50 count');
    expect(logLines.find((l) => l.action === 'ALARM_STATE_CHANGED' && l.alarm === 'bbws-wp-job-errors' && l.status === 'ALARM')).toMatchObject({ level: 'warn', severity: 'P1', alarmAction: 'rollback', value: 51 });
  });

  it('API 5xx rate > 10 %, DLQ > 10 and DLQ not empty, p95 of site creation ≥ 600 s', async () => {
    const requests = (ok: number, failed: number) => {
      metrics.increment('bbws_http_requests_total', { method: 'GET', route: '/x', status: 200 }, ok);
      metrics.increment('bbws_http_requests_total', { method: 'GET', route: '/x', status: 503 }, failed);
    };
    await minutes(1, () => requests(90, 10));
    expect(await stateOf('bbws-wp-api-5xx-rate')).toBe('OK'); // exactly 10 %
    await minutes(1, () => requests(0, 2));
    expect(await stateOf('bbws-wp-api-5xx-rate')).toBe('ALARM'); // 12 of 102
    expect(await stateOf('bbws-wp-dlq-messages')).toBe('INSUFFICIENT_DATA'); // no gauge yet
    await minutes(1, () => metrics.setGauge('DLQMessages', 1, { queue: 'dlq' }));
    expect([await stateOf('bbws-wp-dlq-not-empty'), await stateOf('bbws-wp-dlq-messages')]).toEqual(['ALARM', 'OK']);
    await minutes(1, () => metrics.setGauge('DLQMessages', 11, { queue: 'dlq' }));
    expect(await stateOf('bbws-wp-dlq-messages')).toBe('ALARM');
    expect(await stateOf('bbws-wp-site-creation-duration-p95')).toBe('OK'); // nothing created: not breaching
    await minutes(1, () => {
      for (let i = 0; i < 19; i++) metrics.observe('SiteCreationDuration', 120, { type: 'CREATE_SITE' });
    });
    expect(await stateOf('bbws-wp-site-creation-duration-p95')).toBe('OK');
    await minutes(1, () => {
      for (let i = 0; i < 5; i++) metrics.observe('SiteCreationDuration', 800, { type: 'CREATE_SITE' });
    });
    expect(await stateOf('bbws-wp-site-creation-duration-p95')).toBe('ALARM'); // 5 of 24 above 600 s
  });

  it('needs every evaluation period to breach (oldest message age: 3 periods)', async () => {
    await minutes(2, () => metrics.setGauge('bbws_queue_oldest_message_age_seconds', 1000, { queue: 'q' }));
    expect(await stateOf('bbws-wp-queue-oldest-message-age')).toBe('INSUFFICIENT_DATA'); // 2 of 3 periods seen
    await minutes(1, () => metrics.setGauge('bbws_queue_oldest_message_age_seconds', 1000, { queue: 'q' }));
    expect(await stateOf('bbws-wp-queue-oldest-message-age')).toBe('ALARM');
    await minutes(1, () => metrics.setGauge('bbws_queue_oldest_message_age_seconds', 10, { queue: 'q' }));
    expect(await stateOf('bbws-wp-queue-oldest-message-age')).toBe('OK');
  });

  it('a restart keeps states, history and the metric samples of the window', async () => {
    await minutes(1, () => metrics.increment('SiteCreationFailed', { type: 'CREATE_SITE' }, 3));
    expect(await stateOf('bbws-wp-site-creation-failed')).toBe('OK');
    const before = await alarmHistory(deps(), {});
    db.close();
    startProcess(); // counters start again at 0 in the new process
    expect(await stateOf('bbws-wp-site-creation-failed')).toBe('OK');
    expect(await alarmHistory(deps(), {})).toEqual(before);
    await minutes(1, () => metrics.increment('SiteCreationFailed', { type: 'CREATE_SITE' }, 2));
    expect(await stateOf('bbws-wp-site-creation-failed')).toBe('ALARM'); // 3 before + 2 after ≥ 5 in 15 min
  });

  it('set changes the threshold (validated, nothing saved when wrong); the rules follow it', async () => {
    await expectBbwsError(setAlarm(deps(), 'bbws-wp-api-5xx-rate', { threshold: 150 }), 'ALARM_SETTING_INVALID');
    await expectBbwsError(setAlarm(deps(), 'bbws-wp-nope', { threshold: 1 }), 'ALARM_NOT_FOUND');
    await expectBbwsError(setAlarm(deps(), 'bbws-wp-job-errors', { periodSeconds: 61 }), 'ALARM_SETTING_INVALID');
    expect((await listAlarms(deps())).find((a) => a.name === 'bbws-wp-job-errors')!.threshold).toBe(50);
    await setAlarm(deps(), 'bbws-wp-job-errors', { threshold: 5, severity: 'P2' });
    await minutes(1, () => metrics.increment('bbws_jobs_total', { queue: 'q', status: 'failed' }, 6));
    expect(await stateOf('bbws-wp-job-errors')).toBe('ALARM');
    expect(await prometheusRules(deps())).toContain('"expr": "(sum(increase(bbws_jobs_total{status=\\"failed\\"}[300s]))) > 5"');
  });

  it('sends alarm.state-changed to operator webhooks only, and nothing while muted', async () => {
    const received: any[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => (received.push({ ...JSON.parse(body), url: req.url }), res.end('ok')));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      await minutes(1); // a process without a notifier (or one killed before publishing): recorded, not sent
      db.close();
      notifierDb = openSqliteDatabase(join(dir, 'state.db'));
      notifier = createWebhookNotifier({ db: notifierDb, logger, metrics, topic: 'bbws-wp-notifications-dev', secrets: createLocalSecrets({ dir: join(dir, 'secrets') }), pollIntervalMs: 20 });
      await notifier.addWebhook({ url, types: ['alarm.state-changed'], tenantId: null, publicOnly: false });
      await notifier.addWebhook({ url: `${url}?tenant`, types: [], tenantId: 'acme', publicOnly: false });
      startProcess();
      await muteAlarm(deps(), 'bbws-wp-dlq-not-empty', 60);
      await minutes(1, () => metrics.setGauge('DLQMessages', 3, { queue: 'dlq' }));
      await pollUntil('a delivery', async () => received.length > 0, 5000, 20);
      await new Promise((r) => setTimeout(r, 200));
      const alarmsSeen = received.map((b) => `${b.data.alarm}:${b.data.to}`);
      expect(received.every((b) => b.type === 'alarm.state-changed' && b.tenantId === '')).toBe(true);
      expect(alarmsSeen.filter((a) => a === 'bbws-wp-job-errors:OK')).toHaveLength(1); // from the first process, sent once
      expect(alarmsSeen).not.toContain('bbws-wp-dlq-not-empty:ALARM'); // muted
      expect(received.filter((b) => b.url !== '/hook')).toEqual([]); // the tenant's webhook got none of them
      const muted = (await alarmHistory(deps(), { alarm: 'bbws-wp-dlq-not-empty' }))[0];
      expect(muted).toMatchObject({ to: 'ALARM', muted: true });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('Prometheus rules from the same definitions', () => {
  it('pass promtool check rules, and promtool test rules fires the job-errors rule above 50 only', async () => {
    const rules = await prometheusRules(deps());
    const file = join(dir, 'rules.yml');
    writeFileSync(file, rules);
    const out = execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(out).toContain(`SUCCESS: ${DEFAULT_ALARMS.length} rules found`);
    // 11 failures a minute: 55 in 5 minutes fires; 10 a minute (50) does not.
    writeFileSync(join(dir, 'test.yml'), JSON.stringify({
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: [
          { series: 'bbws_jobs_total{status="failed",queue="a"}', values: '0+11x10' },
          { series: 'bbws_jobs_total{status="failed",queue="b"}', values: '0+0x10' },
        ],
        alert_rule_test: [
          { eval_time: '6m', alertname: 'BbwsWpJobErrors', exp_alerts: [{ exp_labels: { severity: 'P1', action: 'rollback', alarm: 'bbws-wp-job-errors' }, exp_annotations: { summary: 'Job failures (Lambda errors) > 50 in 5 minutes', source: 'seed 001 §9 automatic rollback trigger', unit: 'count' } }] },
        ],
      }, {
        interval: '1m',
        input_series: [{ series: 'bbws_jobs_total{status="failed",queue="a"}', values: '0+10x10' }],
        alert_rule_test: [{ eval_time: '6m', alertname: 'BbwsWpJobErrors', exp_alerts: [] }],
      }],
    }));
    const test = execFileSync('promtool', ['test', 'rules', join(dir, 'test.yml')], { encoding: 'utf8', cwd: dir });
    expect(test).toContain('SUCCESS');
  });
});
