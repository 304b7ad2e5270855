/**
 * How the local evaluator measures an alarm's metric from the process's own metrics, the same
 * quantities the Prometheus rules compute (alarm-rules.ts): each tick takes a snapshot of every
 * series, turns it into a sample per alarm (the increase since the previous tick, or the gauge's
 * value), and a period's datapoint is made from the samples inside it.
 */
import type { AlarmDefinition, AlarmMetric, Datapoint, LabelMatcher, Series } from './alarms.js';

/** The `+Inf` bucket's bound: finite, so that a stored sample survives JSON (Infinity becomes null). */
const INF_BOUND = Number.MAX_VALUE;

/** One series of a metrics snapshot: `name` as exposed (histograms: `<h>_bucket` with `le`). */
export interface SeriesValue {
  name: string;
  labels: Readonly<Record<string, string | number>>;
  value: number;
}

/** Cumulative inputs of one alarm at one instant (counters and buckets), or a gauge's value. */
export type Reading = { kind: 'counters'; values: number[] } | { kind: 'gauge'; value: number | null } | { kind: 'buckets'; bounds: number[]; counts: number[] };

/** What one tick stored for one alarm: increases since the previous tick, or a gauge's value. */
export type Sample = { kind: 'counters'; deltas: number[] } | { kind: 'gauge'; value: number | null } | { kind: 'buckets'; bounds: number[]; deltas: number[] };

function matches(v: SeriesValue, series: Series): boolean {
  if (v.name !== series.name) return false;
  for (const m of series.matchers ?? []) if (!matcherHolds(m, v.labels[m.label])) return false;
  return true;
}

function matcherHolds(m: LabelMatcher, value: string | number | undefined): boolean {
  if (value === undefined) return false;
  return m.op === '=' ? String(value) === m.value : new RegExp(`^(?:${m.value})$`).test(String(value));
}

const total = (snapshot: readonly SeriesValue[], series: Series) => snapshot.reduce((sum, v) => (matches(v, series) ? sum + v.value : sum), 0);

export function readMetric(metric: AlarmMetric, snapshot: readonly SeriesValue[]): Reading {
  switch (metric.kind) {
    case 'count':
      return { kind: 'counters', values: [total(snapshot, metric.counter)] };
    case 'ratio':
      return { kind: 'counters', values: [metric.numerator.reduce((s, x) => s + total(snapshot, x), 0), metric.denominator.reduce((s, x) => s + total(snapshot, x), 0)] };
    case 'gauge': {
      const values = snapshot.filter((v) => matches(v, metric.gauge)).map((v) => v.value);
      return { kind: 'gauge', value: values.length ? (metric.reduce === 'max' ? Math.max(...values) : Math.min(...values)) : null };
    }
    case 'p95': {
      const byBound = new Map<number, number>();
      const bucket = { ...metric.histogram, name: `${metric.histogram.name}_bucket` };
      for (const v of snapshot) {
        if (!matches(v, bucket)) continue;
        const le = v.labels.le === '+Inf' ? INF_BOUND : Number(v.labels.le);
        byBound.set(le, (byBound.get(le) ?? 0) + v.value);
      }
      const bounds = [...byBound.keys()].sort((a, b) => a - b);
      return { kind: 'buckets', bounds, counts: bounds.map((b) => byBound.get(b)!) };
    }
  }
}

/** Increase since the previous reading; a counter that went down was reset (a restart): its value is the increase. */
const increase = (now: number, before: number | undefined) => (before === undefined || now < before ? now : now - before);

export function sampleOf(reading: Reading, previous: Reading | undefined): Sample {
  if (reading.kind === 'gauge') return reading;
  if (reading.kind === 'counters') {
    const prev = previous?.kind === 'counters' ? previous.values : [];
    return { kind: 'counters', deltas: reading.values.map((v, i) => increase(v, prev[i])) };
  }
  const prev = previous?.kind === 'buckets' ? new Map(previous.bounds.map((b, i) => [b, previous.counts[i]])) : new Map<number, number>();
  return { kind: 'buckets', bounds: reading.bounds, deltas: reading.counts.map((c, i) => increase(c, prev.get(reading.bounds[i]))) };
}

/** Prometheus's histogram_quantile: linear interpolation inside the bucket that holds the rank. */
export function histogramQuantile(q: number, bounds: readonly number[], cumulative: readonly number[]): number | null {
  const count = cumulative[cumulative.length - 1] ?? 0;
  if (count === 0) return null;
  const rank = q * count;
  for (let i = 0; i < bounds.length; i++) {
    if (cumulative[i] >= rank) {
      if (bounds[i] === INF_BOUND) return i > 0 ? bounds[i - 1] : null;
      const lower = i > 0 ? bounds[i - 1] : 0;
      const below = i > 0 ? cumulative[i - 1] : 0;
      const inBucket = cumulative[i] - below;
      return inBucket === 0 ? bounds[i] : lower + ((bounds[i] - lower) * (rank - below)) / inBucket;
    }
  }
  return null;
}

/**
 * The datapoint of one period from its samples: `null` when the period holds no sample (the
 * evaluator was not running) or nothing to measure and the alarm treats that as missing;
 * `'none'` for nothing to measure (no request, no site created) when that does not breach.
 */
export function datapointOf(def: AlarmDefinition, samples: readonly Sample[]): Datapoint {
  if (samples.length === 0) return null;
  const nothing = def.treatMissingData === 'notBreaching' ? 'none' : null;
  switch (def.metric.kind) {
    case 'count':
      return samples.reduce((s, x) => s + (x.kind === 'counters' ? x.deltas[0] : 0), 0);
    case 'ratio': {
      let num = 0;
      let den = 0;
      for (const x of samples) if (x.kind === 'counters') (num += x.deltas[0]), (den += x.deltas[1]);
      return den > 0 ? (100 * num) / den : nothing;
    }
    case 'gauge': {
      const values = samples.map((x) => (x.kind === 'gauge' ? x.value : null)).filter((v): v is number => v !== null);
      if (values.length === 0) return null;
      return def.metric.reduce === 'max' ? Math.max(...values) : Math.min(...values);
    }
    case 'p95': {
      const sums = new Map<number, number>();
      for (const x of samples) if (x.kind === 'buckets') x.bounds.forEach((b, i) => sums.set(b, (sums.get(b) ?? 0) + x.deltas[i]));
      const bounds = [...sums.keys()].sort((a, b) => a - b);
      return histogramQuantile(0.95, bounds, bounds.map((b) => sums.get(b)!)) ?? nothing;
    }
  }
}
