/**
 * The Metrics port as CloudWatch Embedded Metric Format (EMF), for the Lambda handlers: metrics are
 * JSON log lines that CloudWatch Logs turns into metrics of namespace `BBWS/WPTechnical` (seed 001
 * §8: SiteCreated, SiteCreationFailed, SiteCreationDuration, WordPressAPILatency, DLQMessages …).
 * Written with `aws-embedded-metrics` (AWS's own EMF library: the format, the 100-values limit per
 * metric and the Lambda environment are its business), not by hand.
 *
 * Calls only record in memory (the port: never throw, never wait); `flush()` writes what was
 * recorded, one EMF line per label set, and is awaited at the end of each Lambda invocation.
 * Labels become dimensions, with `Environment` on every metric. Units follow the names: `…Duration`
 * seconds, `…Latency` milliseconds, counters counts.
 */
import { Configuration, MetricsLogger, Unit } from 'aws-embedded-metrics';
import { LambdaEnvironment } from 'aws-embedded-metrics/lib/environment/LambdaEnvironment.js';
import { LocalEnvironment } from 'aws-embedded-metrics/lib/environment/LocalEnvironment.js';
import type { Labels, Metrics } from '../../ports/metrics.js';

export interface EmfMetricsOptions {
  namespace?: string;
  /** `Environment` dimension of every metric (dev, sit, prod). */
  environment: string;
  /** `Lambda` (stdout, decorated with the function's metadata) or `Local` (plain stdout: tests, scripts). */
  target?: 'Lambda' | 'Local';
  /** Where a failed flush is told (never thrown at the caller). */
  onError?: (err: unknown) => void;
}

export interface EmfMetrics extends Metrics {
  flush(): Promise<void>;
}

function unitOf(name: string, counter: boolean): Unit {
  if (counter) return Unit.Count;
  if (/Duration$/.test(name) || /_seconds$/.test(name)) return Unit.Seconds;
  if (/Latency$/.test(name) || /_ms$/.test(name)) return Unit.Milliseconds;
  return Unit.None;
}

export function createEmfMetrics(options: EmfMetricsOptions): EmfMetrics {
  Configuration.namespace = options.namespace ?? 'BBWS/WPTechnical';
  // The library guesses its environment once at import (AWS_EMF_ENVIRONMENT or probes, the agent as
  // a fallback); ours is given, so every logger gets it directly.
  const environment = options.target === 'Local' ? new LocalEnvironment() : new LambdaEnvironment();
  const newLogger = () => new MetricsLogger(() => Promise.resolve(environment));
  // One pending group per label set: EMF dimensions are per line, shared by its metrics.
  const pending = new Map<string, { dimensions: Record<string, string>; values: { name: string; value: number; unit: Unit }[] }>();
  const record = (name: string, value: number, labels: Labels | undefined, counter: boolean) => {
    try {
      if (!Number.isFinite(value)) return;
      const dimensions: Record<string, string> = { Environment: options.environment };
      for (const [k, v] of Object.entries(labels ?? {})) dimensions[k] = String(v);
      const key = JSON.stringify(Object.entries(dimensions).sort());
      const group = pending.get(key) ?? { dimensions, values: [] };
      group.values.push({ name, value, unit: unitOf(name, counter) });
      pending.set(key, group);
    } catch {
      // never throws (port guarantee)
    }
  };
  return {
    increment: (name, labels, value = 1) => record(name, value, labels, true),
    observe: (name, value, labels) => record(name, value, labels, false),
    setGauge: (name, value, labels) => record(name, value, labels, false),
    async flush() {
      const groups = [...pending.values()];
      pending.clear();
      for (const g of groups) {
        try {
          const logger = newLogger();
          logger.setDimensions(g.dimensions);
          for (const v of g.values) logger.putMetric(v.name, v.value, v.unit);
          await logger.flush();
        } catch (err) {
          options.onError?.(err);
        }
      }
    },
  };
}
