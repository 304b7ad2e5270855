/**
 * The Lambda-style `REPORT` log line, one per request and per job, so that seed 000's log queries
 * (slow requests: `@duration > 5000`; memory: `@maxMemoryUsed / @memorySize > 0.9`) work on our logs.
 */
const MIB = 2 ** 20;

/**
 * The memory this process may use, in MiB: set once by the composition root (src/main/logger.ts
 * reads the cgroup limit, else the configured one; src/main/memory-limit.ts). 0 until then.
 */
let memorySize = 0;
/** `@memorySize` of REPORT fields from now on (set once by the logger). */
export function setReportMemorySize(mb: number): void {
  memorySize = mb;
}

/**
 * Peak RSS, sampled at most once a second: reading /proc on every request cost about a fifth of
 * the API's CPU per request (bench/api.bench.ts profile).
 */
let maxRss = 0;
let sampledAt = 0;
function maxMemoryUsedMb(): number {
  const now = Date.now();
  if (now - sampledAt >= 1000) {
    sampledAt = now;
    maxRss = Math.max(maxRss, Math.round(process.memoryUsage.rss() / MIB));
  }
  return maxRss;
}

export interface ReportFields {
  '@type': 'REPORT';
  '@requestId': string;
  '@duration': number;
  '@memorySize': number;
  '@maxMemoryUsed': number;
}

/**
 * The REPORT fields of a request (seed 000's Lambda-style `@type`, `@requestId`, `@duration`,
 * `@memorySize`, `@maxMemoryUsed`).
 */
export function reportFields(requestId: string, durationMs: number): ReportFields {
  return {
    '@type': 'REPORT',
    '@requestId': requestId,
    '@duration': Math.round(durationMs * 100) / 100,
    '@memorySize': memorySize,
    '@maxMemoryUsed': maxMemoryUsedMb(),
  };
}

/** The REPORT line's text, as Lambda writes it. */
export function reportMessage(requestId: string, durationMs: number): string {
  return `REPORT RequestId: ${requestId} Duration: ${durationMs.toFixed(2)} ms`;
}
