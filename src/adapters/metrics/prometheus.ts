/**
 * The Metrics port on prom-client, served on GET /metrics. Metrics are created on first use; the
 * label names of the first observation fix the metric's label set.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SeriesValue } from '../../domain/alarm-metrics.js';
import type { Labels, Metrics } from '../../ports/metrics.js';

export interface PrometheusMetrics extends Metrics {
  render(): Promise<string>;
  /** Every series as a value (histograms as `<name>_bucket{le}`, `_sum`, `_count`), for the alarm evaluator. */
  snapshot(): Promise<SeriesValue[]>;
  readonly contentType: string;
}

/** Seconds; 600 and 5 (×1000) sit on alarm thresholds (SiteCreationDuration, WordPressAPILatency), so p95 is exact there. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600, 900];
/** Seed 001's `…Latency` metrics are in milliseconds. */
const bucketsFor = (name: string) => (name.endsWith('Latency') ? DURATION_BUCKETS.map((b) => b * 1000) : DURATION_BUCKETS);

export function createPrometheusMetrics(options: { defaultMetrics?: boolean } = {}): PrometheusMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'bbws_process_' });
  const counters = new Map<string, Counter>();
  const histograms = new Map<string, Histogram>();
  const gauges = new Map<string, Gauge>();
  const labelNames = (labels?: Labels) => Object.keys(labels ?? {}).sort();

  return {
    contentType: registry.contentType,
    increment(name, labels, value = 1) {
      let c = counters.get(name);
      if (!c) counters.set(name, (c = new Counter({ name, help: name.replace(/_/g, ' '), labelNames: labelNames(labels), registers: [registry] })));
      c.inc(labels ?? {}, value);
    },
    observe(name, value, labels) {
      let h = histograms.get(name);
      if (!h) histograms.set(name, (h = new Histogram({ name, help: name.replace(/_/g, ' '), labelNames: labelNames(labels), buckets: bucketsFor(name), registers: [registry] })));
      h.observe(labels ?? {}, value);
    },
    setGauge(name, value, labels) {
      let g = gauges.get(name);
      if (!g) gauges.set(name, (g = new Gauge({ name, help: name.replace(/_/g, ' '), labelNames: labelNames(labels), registers: [registry] })));
      g.set(labels ?? {}, value);
    },
    render: () => registry.metrics(),
    async snapshot() {
      const out: SeriesValue[] = [];
      for (const metric of await registry.getMetricsAsJSON()) {
        for (const v of metric.values) out.push({ name: (v as { metricName?: string }).metricName ?? metric.name, labels: v.labels as SeriesValue['labels'], value: v.value });
      }
      return out;
    },
  };
}
