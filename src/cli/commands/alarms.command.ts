/**
 * `bbws alarms list|history|set|mute|rules`: the seeds' alarms with their state (seed 001 §8-9),
 * their transitions, changing a threshold, silencing the webhooks for a while, and the same
 * definitions as Prometheus alerting rules. Through the API (platform-admin).
 */
import type { Command } from 'commander';
import { CliError } from '../api-client.js';
import { printJson, printRecord, printTable } from '../output.js';
import { clientFor, type CommonOptions } from './common.js';

interface AlarmView {
  name: string;
  state: string;
  severity: string;
  action: string;
  comparison: string;
  threshold: number;
  unit: string;
  periodSeconds: number;
  evaluationPeriods: number;
  value: number | null;
  since: string | null;
  mutedUntil: string | null;
  reason: string;
}

const row = (a: AlarmView) => ({ ...a, condition: `${a.comparison} ${a.threshold} ${a.unit} over ${a.evaluationPeriods}×${a.periodSeconds}s`, muted: a.mutedUntil ?? '' });

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new CliError(`${flag} takes a number (got "${value}").`, 2);
  return n;
}

/** `30m`, `2h`, `1d` or plain minutes → minutes. */
function minutesOf(value: string): number {
  const m = /^(\d+)(m|h|d)?$/.exec(value.trim());
  if (!m) throw new CliError(`--for takes a duration such as 30m, 2h or 1d (got "${value}"); 0 unmutes.`, 2);
  return Number(m[1]) * (m[2] === 'd' ? 1440 : m[2] === 'h' ? 60 : 1);
}

export function registerAlarmCommands(program: Command): void {
  const alarms = program.command('alarms').description("alarms and rollback triggers with the seeds' thresholds (seed 001 §8-9)");

  alarms.command('list').description('every alarm, its condition and state (OK, ALARM, INSUFFICIENT_DATA)')
    .option('--state <state>', 'only alarms in this state')
    .action(async (opts: CommonOptions & { state?: string }) => {
      const { items } = await (await clientFor(opts)).request<{ items: AlarmView[] }>('GET', '/v1.0/alarms');
      const shown = opts.state ? items.filter((a) => a.state === opts.state!.toUpperCase()) : items;
      if (opts.json) return printJson({ items: shown });
      printTable(shown.map(row), ['name', 'state', 'severity', 'action', 'condition', 'value', 'since', 'muted']);
    });

  alarms.command('history [name]').description('state transitions, newest first')
    .option('--limit <n>', 'how many (1-1000)', '50')
    .action(async (name: string | undefined, opts: CommonOptions & { limit: string }) => {
      const params = new URLSearchParams({ limit: opts.limit, ...(name ? { alarm: name } : {}) });
      const { items } = await (await clientFor(opts)).request<{ items: Record<string, unknown>[] }>('GET', `/v1.0/alarms/history?${params.toString()}`);
      if (opts.json) return printJson({ items });
      printTable(items, ['at', 'name', 'from', 'to', 'value', 'muted', 'reason']);
    });

  alarms.command('set <name>').description("change an alarm's threshold, period, evaluation periods or severity")
    .option('--threshold <n>', 'the value compared with the datapoints')
    .option('--period <seconds>', 'length of one period (a multiple of 60)')
    .option('--periods <n>', 'evaluation periods that must all breach')
    .option('--severity <P1-P4>', 'severity')
    .action(async (name: string, opts: CommonOptions & { threshold?: string; period?: string; periods?: string; severity?: string }) => {
      const body = { threshold: number('--threshold', opts.threshold), periodSeconds: number('--period', opts.period), evaluationPeriods: number('--periods', opts.periods), severity: opts.severity };
      const view = await (await clientFor(opts)).request<AlarmView>('PUT', `/v1.0/alarms/${encodeURIComponent(name)}`, JSON.parse(JSON.stringify(body)));
      if (opts.json) return printJson(view);
      printRecord({ name: view.name, condition: row(view).condition, severity: view.severity, state: view.state });
    });

  alarms.command('mute <name>').description('no webhooks from this alarm for a while (states and history are still kept)')
    .requiredOption('--for <duration>', '30m, 2h, 1d; 0 unmutes')
    .action(async (name: string, opts: CommonOptions & { for: string }) => {
      const view = await (await clientFor(opts)).request<AlarmView>('POST', `/v1.0/alarms/${encodeURIComponent(name)}/mute`, { minutes: minutesOf(opts.for) });
      if (opts.json) return printJson(view);
      printRecord({ name: view.name, state: view.state, mutedUntil: view.mutedUntil ?? 'not muted' });
    });

  alarms.command('rules').description('the alarms as Prometheus alerting rules (check with `promtool check rules FILE`)').action(async (opts: CommonOptions) => {
    const client = await clientFor(opts);
    const text = await client.request<string>('GET', '/v1.0/alarms/rules');
    process.stdout.write(typeof text === 'string' ? text : `${JSON.stringify(text, null, 2)}\n`);
  });
}
