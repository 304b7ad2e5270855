/**
 * Alarms as data: the one place that holds the seeds' thresholds (seed 001 §8 metrics, §9
 * rollback triggers; seed 000 §5.5 queue age, §4.5 stuck operations). The local evaluator
 * (app/alarms/evaluate-alarms.ts), the Prometheus rules (domain/alarm-rules.ts) and, later, the
 * CloudWatch alarms of the AWS target all read these definitions; nothing else copies a number.
 */
import { BbwsError } from './errors.js';

export const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];
export const SEVERITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** Seed 001 §9: what the on-call does when it fires. */
export type AlarmAction = 'rollback' | 'alert' | 'investigate' | 'warn';
export const COMPARISONS = ['>', '>=', '<', '<='] as const;
export type Comparison = (typeof COMPARISONS)[number];

/** A Prometheus label matcher: `status=~"5.."`. */
export interface LabelMatcher {
  label: string;
  op: '=' | '=~';
  value: string;
}

export interface Series {
  name: string;
  matchers?: readonly LabelMatcher[];
}

/**
 * What an alarm measures over its period, in terms of the platform's Prometheus metrics (names as
 * on GET /metrics). `count`: the increase of a counter; `ratio`: 100 × the increase of the
 * numerator series (summed) / that of the denominator series; `gauge`: the largest (or smallest) value seen; `p95`: a histogram's 95th
 * percentile over the period.
 */
export type AlarmMetric =
  | { kind: 'count'; counter: Series }
  | { kind: 'ratio'; numerator: readonly Series[]; denominator: readonly Series[] }
  | { kind: 'gauge'; gauge: Series; reduce: 'max' | 'min' }
  | { kind: 'p95'; histogram: Series };

export interface AlarmDefinition {
  name: string;
  description: string;
  /** Where the threshold comes from. */
  source: string;
  metric: AlarmMetric;
  unit: 'count' | 'percent' | 'seconds' | 'milliseconds' | 'messages' | 'days';
  periodSeconds: number;
  evaluationPeriods: number;
  comparison: Comparison;
  threshold: number;
  severity: Severity;
  action: AlarmAction;
  /**
   * A period with samples but nothing to measure (no requests, no site created): `notBreaching`
   * counts it as OK, `missing` as no data. A period without any sample is always no data.
   */
  treatMissingData: 'notBreaching' | 'missing';
}

const failedJobs: Series = { name: 'bbws_jobs_total', matchers: [{ label: 'status', op: '=', value: 'failed' }] };
const requests: Series = { name: 'bbws_http_requests_total' };
const siteCreated: Series = { name: 'SiteCreated' };
const siteFailed: Series = { name: 'SiteCreationFailed' };
const dlq: Series = { name: 'DLQMessages' };
/** The edge's answers over a tenant's limit, by `limit` (main/limit-responses-role.ts). */
const limitResponses = 'bbws_edge_limit_responses_total';

/** The seeds' defaults. `bbws alarms set` overrides them per alarm (kept in the state db). */
export const DEFAULT_ALARMS: readonly AlarmDefinition[] = Object.freeze([
  { name: 'bbws-wp-job-errors', description: 'Job failures (Lambda errors) > 50 in 5 minutes', source: 'seed 001 §9 automatic rollback trigger', metric: { kind: 'count', counter: failedJobs }, unit: 'count', periodSeconds: 300, evaluationPeriods: 1, comparison: '>', threshold: 50, severity: 'P1', action: 'rollback', treatMissingData: 'notBreaching' },
  { name: 'bbws-wp-job-errors-warning', description: 'Job failures (Lambda errors) at 10 or more in 5 minutes', source: 'seed 001 §8 LambdaErrors < 10 per 5 min', metric: { kind: 'count', counter: failedJobs }, unit: 'count', periodSeconds: 300, evaluationPeriods: 1, comparison: '>=', threshold: 10, severity: 'P3', action: 'investigate', treatMissingData: 'notBreaching' },
  { name: 'bbws-wp-api-5xx-rate', description: 'API 5xx responses > 10 % of requests', source: 'seed 001 §9 automatic rollback trigger', metric: { kind: 'ratio', numerator: [{ name: requests.name, matchers: [{ label: 'status', op: '=~', value: '5..' }] }], denominator: [requests] }, unit: 'percent', periodSeconds: 300, evaluationPeriods: 1, comparison: '>', threshold: 10, severity: 'P1', action: 'rollback', treatMissingData: 'notBreaching' },
  { name: 'bbws-wp-dlq-messages', description: 'Site operations DLQ holds more than 10 messages', source: 'seed 001 §9 (alert + manual decision)', metric: { kind: 'gauge', gauge: dlq, reduce: 'max' }, unit: 'messages', periodSeconds: 60, evaluationPeriods: 1, comparison: '>', threshold: 10, severity: 'P2', action: 'alert', treatMissingData: 'missing' },
  { name: 'bbws-wp-dlq-not-empty', description: 'Site operations DLQ is not empty (DLQMessages = 0 expected)', source: 'seed 001 §8 DLQMessages = 0', metric: { kind: 'gauge', gauge: dlq, reduce: 'max' }, unit: 'messages', periodSeconds: 60, evaluationPeriods: 1, comparison: '>', threshold: 0, severity: 'P3', action: 'warn', treatMissingData: 'missing' },
  { name: 'bbws-wp-site-creation-success-rate', description: 'Site creation success rate < 95 %', source: 'seed 001 §9 (alert + manual decision)', metric: { kind: 'ratio', numerator: [siteCreated], denominator: [siteCreated, siteFailed] }, unit: 'percent', periodSeconds: 900, evaluationPeriods: 1, comparison: '<', threshold: 95, severity: 'P2', action: 'alert', treatMissingData: 'notBreaching' },
  { name: 'bbws-wp-site-creation-failed', description: 'SiteCreationFailed ≥ 5 in 15 minutes', source: 'seed 001 §8 SiteCreationFailed < 5 per 15 min', metric: { kind: 'count', counter: siteFailed }, unit: 'count', periodSeconds: 900, evaluationPeriods: 1, comparison: '>=', threshold: 5, severity: 'P2', action: 'alert', treatMissingData: 'notBreaching' },
  { name: 'bbws-wp-site-creation-duration-p95', description: 'SiteCreationDuration p95 ≥ 600 s', source: 'seed 001 §8 SiteCreationDuration < 600 s (p95)', metric: { kind: 'p95', histogram: { name: 'SiteCreationDuration' } }, unit: 'seconds', periodSeconds: 900, evaluationPeriods: 1, comparison: '>=', threshold: 600, severity: 'P3', action: 'investigate', treatMissingData: 'notBreaching' },
  { name: 'bbws-wp-wordpress-api-latency-p95', description: 'WordPressAPILatency p95 ≥ 5,000 ms', source: 'seed 001 §8 WordPressAPILatency < 5000 ms (p95)', metric: { kind: 'p95', histogram: { name: 'WordPressAPILatency' } }, unit: 'milliseconds', periodSeconds: 300, evaluationPeriods: 1, comparison: '>=', threshold: 5000, severity: 'P3', action: 'investigate', treatMissingData: 'notBreaching' },
  { name: 'bbws-wp-wordpress-api-timeout-rate', description: 'WordPress API timeouts > 5 % of calls', source: 'seed 001 §9 (alert + investigate)', metric: { kind: 'ratio', numerator: [{ name: 'WordPressAPICalls', matchers: [{ label: 'outcome', op: '=', value: 'timeout' }] }], denominator: [{ name: 'WordPressAPICalls' }] }, unit: 'percent', periodSeconds: 300, evaluationPeriods: 1, comparison: '>', threshold: 5, severity: 'P2', action: 'investigate', treatMissingData: 'notBreaching' },
  { name: 'bbws-wp-queue-oldest-message-age', description: 'Oldest message of a queue waiting > 15 minutes', source: 'seed 000 §5.5 queue age (the operation deadline)', metric: { kind: 'gauge', gauge: { name: 'bbws_queue_oldest_message_age_seconds' }, reduce: 'max' }, unit: 'seconds', periodSeconds: 60, evaluationPeriods: 3, comparison: '>', threshold: 900, severity: 'P2', action: 'investigate', treatMissingData: 'missing' },
  { name: 'bbws-wp-stuck-operations', description: 'Operations open past their deadline', source: 'seed 000 §4.5 stuck operations', metric: { kind: 'gauge', gauge: { name: 'bbws_operations_past_deadline' }, reduce: 'max' }, unit: 'count', periodSeconds: 60, evaluationPeriods: 2, comparison: '>', threshold: 0, severity: 'P1', action: 'investigate', treatMissingData: 'missing' },
  { name: 'bbws-wp-component-down', description: 'A component (store, role, MariaDB, php-fpm, nginx) is down', source: 'seed 000 §1.2 service health', metric: { kind: 'gauge', gauge: { name: 'bbws_component_up' }, reduce: 'min' }, unit: 'count', periodSeconds: 60, evaluationPeriods: 2, comparison: '<', threshold: 1, severity: 'P1', action: 'alert', treatMissingData: 'missing' },
  { name: 'bbws-wp-disk-headroom', description: "Free space on the data dir's file system < 5 % (/health says disk: degraded below it too)", source: 'seed 002 daily health check (disk)', metric: { kind: 'gauge', gauge: { name: 'bbws_disk_free_percent' }, reduce: 'min' }, unit: 'percent', periodSeconds: 60, evaluationPeriods: 2, comparison: '<', threshold: 5, severity: 'P2', action: 'alert', treatMissingData: 'missing' },
  { name: 'bbws-wp-certificate-expiry', description: 'An edge certificate expires in less than 14 days (renewal is due at two thirds of its lifetime: it has failed)', source: 'seed 002 security monitoring; issue 14 (certificate expiry once TLS exists)', metric: { kind: 'gauge', gauge: { name: 'bbws_certificate_expiry_days_min' }, reduce: 'min' }, unit: 'days', periodSeconds: 60, evaluationPeriods: 1, comparison: '<', threshold: 14, severity: 'P2', action: 'alert', treatMissingData: 'missing' },
  { name: 'bbws-wp-certificate-issuance-failed', description: 'A certificate issuance or renewal failed and is being retried (bbws certs list names it)', source: 'issue 15 HTTPS: a failed issuance is visible', metric: { kind: 'gauge', gauge: { name: 'bbws_certificates_failed' }, reduce: 'max' }, unit: 'count', periodSeconds: 60, evaluationPeriods: 2, comparison: '>', threshold: 0, severity: 'P3', action: 'investigate', treatMissingData: 'missing' },
  { name: 'bbws-wp-backup-problem', description: "A tenant's backups are overdue, failed, or failed verification (/health's backups component names it)", source: 'issue 13: a backup counts only once a restore of it was verified; seed 002 §Backup Verification', metric: { kind: 'gauge', gauge: { name: 'bbws_backup_problem_tenants' }, reduce: 'max' }, unit: 'count', periodSeconds: 60, evaluationPeriods: 1, comparison: '>', threshold: 0, severity: 'P2', action: 'alert', treatMissingData: 'missing' },
  { name: 'bbws-wp-tenant-over-disk-quota', description: 'A tenant is over its content disk quota: its uploads get 507 (docs/limits.md)', source: 'issue 15 per-tenant limits', metric: { kind: 'gauge', gauge: { name: 'bbws_tenants_over_disk_quota' }, reduce: 'max' }, unit: 'count', periodSeconds: 60, evaluationPeriods: 1, comparison: '>', threshold: 0, severity: 'P3', action: 'investigate', treatMissingData: 'missing' },
  { name: 'bbws-wp-tenant-rate-limited', description: 'A tenant got 429s from its edge request rate or connection limit (requestsPerSecond, connections: docs/limits.md)', source: 'issue 15 per-tenant limits: going over a limit raises an alarm', metric: { kind: 'count', counter: { name: limitResponses, matchers: [{ label: 'limit', op: '=~', value: 'requestsPerSecond|connections' }] } }, unit: 'count', periodSeconds: 300, evaluationPeriods: 1, comparison: '>', threshold: 0, severity: 'P3', action: 'investigate', treatMissingData: 'notBreaching' },
  { name: 'bbws-wp-tenant-request-too-large', description: 'A tenant got 413s: request bodies over its upload limit (uploadMaxMb: docs/limits.md)', source: 'issue 15 per-tenant limits: going over a limit raises an alarm', metric: { kind: 'count', counter: { name: limitResponses, matchers: [{ label: 'limit', op: '=', value: 'uploadMaxMb' }] } }, unit: 'count', periodSeconds: 300, evaluationPeriods: 1, comparison: '>', threshold: 0, severity: 'P4', action: 'warn', treatMissingData: 'notBreaching' },
  { name: 'bbws-wp-login-brute-force-blocked', description: 'An address was blocked on a site after too many failed WordPress logins (the edge answers it 429: bbws security logins --failed)', source: 'seed 002 security monitoring; issue 14 brute-force protection (the block raises an alarm)', metric: { kind: 'count', counter: { name: 'bbws_login_blocks_total' } }, unit: 'count', periodSeconds: 900, evaluationPeriods: 1, comparison: '>', threshold: 0, severity: 'P3', action: 'investigate', treatMissingData: 'notBreaching' },
  { name: 'bbws-wp-memory-headroom', description: 'Process memory > 90 % of its limit (@maxMemoryUsed / @memorySize)', source: 'seed 000 §3.4 memory exhaustion', metric: { kind: 'gauge', gauge: { name: 'bbws_memory_used_percent' }, reduce: 'max' }, unit: 'percent', periodSeconds: 60, evaluationPeriods: 3, comparison: '>', threshold: 90, severity: 'P2', action: 'investigate', treatMissingData: 'missing' },
] satisfies AlarmDefinition[]);

/** The default definition of an alarm; ALARM_NOT_FOUND for an unknown name. */
export function defaultAlarm(name: string): AlarmDefinition {
  const found = DEFAULT_ALARMS.find((a) => a.name === name);
  if (!found) throw new BbwsError('ALARM_NOT_FOUND', undefined, { alarm: name, known: DEFAULT_ALARMS.map((a) => a.name) });
  return found;
}

/** The default threshold of an alarm, for code that must agree with it (health checks). */
export function alarmThreshold(name: string): number {
  return defaultAlarm(name).threshold;
}

/** What `bbws alarms set` may change. */
export interface AlarmSettings {
  threshold?: number;
  periodSeconds?: number;
  evaluationPeriods?: number;
  severity?: Severity;
}

export function applyAlarmSettings(def: AlarmDefinition, settings: AlarmSettings): AlarmDefinition {
  const bad = (field: string, why: string): never => {
    throw new BbwsError('ALARM_SETTING_INVALID', `${field} ${why}.`, { alarm: def.name, field });
  };
  const out = { ...def };
  if (settings.threshold !== undefined) {
    if (typeof settings.threshold !== 'number' || !Number.isFinite(settings.threshold) || settings.threshold < 0) bad('threshold', 'must be a number ≥ 0');
    if (def.unit === 'percent' && settings.threshold > 100) bad('threshold', 'is a percentage: at most 100');
    out.threshold = settings.threshold;
  }
  if (settings.periodSeconds !== undefined) {
    if (!Number.isInteger(settings.periodSeconds) || settings.periodSeconds < 60 || settings.periodSeconds % 60 !== 0 || settings.periodSeconds > 86_400) bad('periodSeconds', 'must be a multiple of 60 from 60 to 86400');
    out.periodSeconds = settings.periodSeconds;
  }
  if (settings.evaluationPeriods !== undefined) {
    if (!Number.isInteger(settings.evaluationPeriods) || settings.evaluationPeriods < 1 || settings.evaluationPeriods > 100) bad('evaluationPeriods', 'must be a whole number from 1 to 100');
    out.evaluationPeriods = settings.evaluationPeriods;
  }
  if (settings.severity !== undefined) {
    if (!(SEVERITIES as readonly string[]).includes(settings.severity)) bad('severity', `must be one of ${SEVERITIES.join(', ')}`);
    out.severity = settings.severity;
  }
  return out;
}

export function breaches(comparison: Comparison, value: number, threshold: number): boolean {
  return comparison === '>' ? value > threshold : comparison === '>=' ? value >= threshold : comparison === '<' ? value < threshold : value <= threshold;
}

/** A period's value; `null`: missing; `'none'`: nothing to measure, not breaching (treatMissingData). */
export type Datapoint = number | null | 'none';

/**
 * CloudWatch's rule: ALARM when every one of the last N datapoints breaches, OK when one does
 * not, INSUFFICIENT_DATA when a period has no datapoint.
 */
export function alarmStateOf(def: AlarmDefinition, datapoints: readonly Datapoint[]): AlarmState {
  if (datapoints.length < def.evaluationPeriods || datapoints.some((d) => d === null)) return 'INSUFFICIENT_DATA';
  return datapoints.every((d) => typeof d === 'number' && breaches(def.comparison, d, def.threshold)) ? 'ALARM' : 'OK';
}
