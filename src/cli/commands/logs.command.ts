/**
 * `bbws logs query '<query>' [--since 1h] [--until T]`: seed 000 §3's Logs Insights queries over
 * the platform's logs. Reads the data dir's log files itself, so it works while the platform is
 * down (when the runbook is needed most); with `--api-url` it asks that API instead
 * (GET /v1.0/logs/query, platform-admin).
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import type { LogQueryAnswer } from '../../app/query-logs.js';
import { printJson, printTable } from '../output.js';
import { clientFor, dataDirOf, type CommonOptions } from './common.js';

type LogQueryOptions = CommonOptions & { since?: string; until?: string };

async function runQuery(query: string, opts: LogQueryOptions): Promise<LogQueryAnswer> {
  const range = { ...(opts.since ? { since: opts.since } : {}), ...(opts.until ? { until: opts.until } : {}) };
  if (opts.apiUrl) {
    const params = new URLSearchParams({ query, ...range });
    return (await clientFor(opts)).request<LogQueryAnswer>('GET', `/v1.0/logs/query?${params.toString()}`);
  }
  const [{ queryLogs }, { createJsonlLogArchive }] = await Promise.all([import('../../app/query-logs.js'), import('../../adapters/logs/jsonl-archive.js')]);
  return queryLogs({ logs: createJsonlLogArchive({ dir: join(dataDirOf(opts), 'logs') }), now: Date.now }, { query, ...range });
}

export function registerLogCommands(program: Command): void {
  const logs = program.command('logs').description("the platform's logs (seed 000 §3)");
  logs.command('query <query>').description('run a CloudWatch Logs Insights query (fields, filter, stats … by bin(5m), sort, limit, parse, display)')
    .option('--since <when>', 'start: a duration ago (30m, 1h, 7d) or an ISO time with a zone', '1h')
    .option('--until <when>', 'end: a duration ago or an ISO time (default now)')
    .action(async (query: string, opts: LogQueryOptions) => {
      const answer = await runQuery(query, opts);
      if (opts.json) return printJson(answer);
      printTable(answer.rows, answer.columns);
      const s = answer.statistics;
      process.stderr.write(`${answer.rows.length} rows; ${s.recordsMatched} of ${s.recordsScanned} records matched in ${s.filesRead} files (${(s.bytesScanned / 2 ** 20).toFixed(1)} MiB) in ${s.durationMs} ms, ${answer.range.since} to ${answer.range.until}\n`);
    });
}
