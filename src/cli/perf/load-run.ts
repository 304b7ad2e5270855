/**
 * One load run with autocannon (the maintained load generator; no client of our own), keeping
 * every response time so that p95 is exact and latency can be read per second of the run.
 */
import { createRequire } from 'node:module';

export interface LoadTarget {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** Headers of each connection in turn (one token per user: the API limits requests per token). */
  perConnection?: Record<string, string>[];
  /** Requests per second per connection (a user's pace); unpaced when absent. */
  connectionRate?: number;
}

export interface LoadResult {
  target: string;
  connections: number;
  durationS: number;
  requests: number;
  errors: number;
  /** Non-2xx/3xx answers and socket errors, over all requests. */
  errorRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  reqPerSec: number;
  /** p95 of each second of the run (ms), for the chart and the spike's recovery time. */
  perSecondP95Ms: number[];
}

interface AutocannonInstance {
  on(event: 'response', fn: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): void;
  on(event: 'reqError', fn: (err: Error) => void): void;
  stop(): void;
}
type Autocannon = (opts: Record<string, unknown>, done: (err: Error | null, result: { errors: number; timeouts: number; requests: { total: number } }) => void) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function runLoad(target: LoadTarget, connections: number, durationS: number, signal?: AbortSignal): Promise<LoadResult> {
  const started = Date.now();
  const latencies: number[] = [];
  const perSecond: number[][] = [];
  let bad = 0;
  return new Promise((resolve, reject) => {
    let next = 0;
    const perConnection = target.perConnection;
    const options: Record<string, unknown> = { url: target.url, headers: target.headers, connections, duration: durationS, timeout: 10 };
    if (target.connectionRate) options.connectionRate = target.connectionRate;
    if (perConnection?.length) options.setupClient = (client: { setHeaders(h: Record<string, string>): void }) => client.setHeaders({ ...target.headers, ...perConnection[next++ % perConnection.length] });
    const instance = autocannon(options, (err, result) => {
      signal?.removeEventListener('abort', stop);
      if (err) return reject(err);
      const sorted = [...latencies].sort((a, b) => a - b);
      const errors = bad + result.errors + result.timeouts;
      const total = Math.max(1, latencies.length + result.errors + result.timeouts);
      resolve({
        target: target.name,
        connections,
        durationS,
        requests: result.requests.total,
        errors,
        errorRate: errors / total,
        p50Ms: percentile(sorted, 50),
        p95Ms: percentile(sorted, 95),
        p99Ms: percentile(sorted, 99),
        reqPerSec: latencies.length / durationS,
        perSecondP95Ms: perSecond.map((s) => percentile([...(s ?? [])].sort((a, b) => a - b), 95)),
      });
    });
    const stop = () => instance.stop();
    signal?.addEventListener('abort', stop);
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      latencies.push(ms);
      if (statusCode >= 400) bad++;
      ((perSecond[Math.floor((Date.now() - started) / 1000)] ??= [])).push(ms);
    });
  });
}
