/**
 * One check of `bbws doctor`: its result and what to do next. The command's exit code is 0 when
 * every check passes, 1 when one warns, 2 when one fails.
 */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What the on-call engineer does next (empty when the check passes). */
  next?: string;
  /** Set by `--fix` when it repaired this check: what it did. */
  fixed?: string;
}

/** A check, with the repair `--fix` may make when it does not pass (only what is safe). */
export interface DoctorCheck {
  result: CheckResult;
  fix?: () => string | Promise<string>;
}

export function pass(name: string, detail: string): DoctorCheck {
  return { result: { name, status: 'pass', detail } };
}

export function problem(name: string, status: 'warn' | 'fail', detail: string, next: string, fix?: DoctorCheck['fix']): DoctorCheck {
  return { result: { name, status, detail, next }, fix };
}

export function overallStatus(results: readonly CheckResult[]): CheckStatus {
  return results.some((r) => r.status === 'fail') ? 'fail' : results.some((r) => r.status === 'warn') ? 'warn' : 'pass';
}

export function exitCodeOf(status: CheckStatus): number {
  return status === 'fail' ? 2 : status === 'warn' ? 1 : 0;
}

/** `low` below `failBelow`, a warning below `warnBelow`. */
export function thresholdStatus(value: number, warnBelow: number, failBelow: number): CheckStatus {
  return value < failBelow ? 'fail' : value < warnBelow ? 'warn' : 'pass';
}
