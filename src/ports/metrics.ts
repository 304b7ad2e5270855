/**
 * Counters, histograms and gauges. The Prometheus adapter (`adapters/metrics/prometheus.ts`)
 * serves them on `/metrics`; a CloudWatch adapter can implement the same interface.
 */
export type Labels = Record<string, string | number>;

export interface Metrics {
  increment(name: string, labels?: Labels, value?: number): void;
  /** Records one observation (e.g. a duration in seconds) in a histogram. */
  observe(name: string, value: number, labels?: Labels): void;
  setGauge(name: string, value: number, labels?: Labels): void;
}
