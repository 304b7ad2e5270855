/**
 * Counters, histograms and gauges. The Prometheus adapter (`adapters/metrics/prometheus.ts`)
 * serves them on `/metrics`; a CloudWatch adapter can implement the same interface.
 *
 * What an adapter must guarantee: calls never throw and never wait (they sit on the request
 * path); names and labels are kept as given (seed 000's metric names are queried verbatim).
 */
export type Labels = Record<string, string | number>;

export interface Metrics {
  increment(name: string, labels?: Labels, value?: number): void;
  /** Records one observation (e.g. a duration in seconds) in a histogram. */
  observe(name: string, value: number, labels?: Labels): void;
  setGauge(name: string, value: number, labels?: Labels): void;
}
