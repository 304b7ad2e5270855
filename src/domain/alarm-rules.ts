/**
 * The alarm definitions as Prometheus alerting rules (`bbws alarms rules`; checked with
 * `promtool check rules` in the tests). Written as JSON, which is YAML: no YAML library needed.
 * Each rule computes over the alarm's period what the local evaluator computes
 * (alarm-metrics.ts), and `for` covers the further evaluation periods.
 */
import type { AlarmDefinition, Series } from './alarms.js';

function selector(series: Series, suffix = ''): string {
  const m = (series.matchers ?? []).map((x) => `${x.label}${x.op}${JSON.stringify(x.value)}`).join(',');
  return `${series.name}${suffix}${m ? `{${m}}` : ''}`;
}

const increase = (s: Series, period: string) => `(sum(increase(${selector(s)}[${period}])) or vector(0))`;

export function promqlOf(def: AlarmDefinition): string {
  const period = `${def.periodSeconds}s`;
  const m = def.metric;
  switch (m.kind) {
    case 'count':
      return `sum(increase(${selector(m.counter)}[${period}]))`;
    case 'ratio':
      return `100 * (${m.numerator.map((s) => increase(s, period)).join(' + ')}) / (${m.denominator.map((s) => increase(s, period)).join(' + ')})`;
    case 'gauge':
      return `${m.reduce}(${m.reduce}_over_time(${selector(m.gauge)}[${period}]))`;
    case 'p95':
      return `histogram_quantile(0.95, sum by (le) (increase(${selector(m.histogram, '_bucket')}[${period}])))`;
  }
}

/** `bbws-wp-api-5xx-rate` → `BbwsWpApi5xxRate` (Prometheus alert names are identifiers). */
export function alertNameOf(alarmName: string): string {
  return alarmName.split(/[^A-Za-z0-9]+/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

export function renderPrometheusRules(defs: readonly AlarmDefinition[]): string {
  const rules = defs.map((def) => ({
    alert: alertNameOf(def.name),
    expr: `(${promqlOf(def)}) ${def.comparison} ${def.threshold}`,
    for: `${def.periodSeconds * (def.evaluationPeriods - 1)}s`,
    labels: { severity: def.severity, action: def.action, alarm: def.name },
    annotations: { summary: def.description, source: def.source, unit: def.unit },
  }));
  return `${JSON.stringify({ groups: [{ name: 'bbws-alarms', interval: '60s', rules }] }, null, 2)}\n`;
}
