/**
 * The Lambda-style `REPORT` log line, one per request and per job, so that seed 000's log queries
 * (slow requests: `@duration > 5000`; memory: `@maxMemoryUsed / @memorySize > 0.9`) work on our logs.
 */
import { totalmem } from 'node:os';

const MIB = 2 ** 20;

/** The memory this process may use: the cgroup limit when there is one, else the machine's. */
function memorySizeMb(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  return Math.round((limit > 0 && limit < Number.MAX_SAFE_INTEGER ? limit : totalmem()) / MIB);
}

export function reportFields(requestId: string, durationMs: number): Record<string, unknown> {
  return {
    '@type': 'REPORT',
    '@requestId': requestId,
    '@duration': Math.round(durationMs * 100) / 100,
    '@memorySize': memorySizeMb(),
    '@maxMemoryUsed': Math.round(process.memoryUsage.rss() / MIB),
  };
}

export function reportMessage(requestId: string, durationMs: number): string {
  return `REPORT RequestId: ${requestId} Duration: ${durationMs.toFixed(2)} ms`;
}
