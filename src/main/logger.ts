/**
 * pino JSON lines shaped for seed 000's Logs Insights queries: `@timestamp`, `@message`, `level`
 * as a name, and the fields the queries filter on. Written to stdout and to
 * `<dataDir>/logs/bbws.jsonl` (what `bbws logs query` reads), rotated by size and age, compressed
 * and expired (adapters/logs/rotate-logs.ts).
 */
import { existsSync, fstatSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { CURRENT_LOG } from '../adapters/logs/log-files.js';
import { rotateLogs, type RotationPolicy } from '../adapters/logs/rotate-logs.js';
import { setReportMemorySize } from '../app/report-line.js';
import type { Logger } from '../ports/logger.js';
import { processMemoryLimitMb } from './memory-limit.js';
import { redactSecrets } from './log-redaction.js';

export interface LoggerOptions {
  level: string;
  /** When set, lines are also appended to `<dataDir>/logs/bbws.jsonl`. */
  dataDir?: string;
  /** Defaults to stdout. */
  stdout?: boolean;
  role?: string;
  /** `@memorySize` of REPORT lines; default: the process's memory limit (memory-limit.ts). */
  memorySizeMb?: number;
  /** Rotation of the data dir's log (adapters/logs/rotate-logs.ts); default DEFAULT_LOG_ROTATION. */
  rotation?: RotationPolicy & { checkIntervalMs?: number };
}

/** Seed 002's cleanup removes logs older than 30 days; files rotate at 100 MiB or daily. */
export const DEFAULT_LOG_ROTATION: RotationPolicy = { maxBytes: 100 * 2 ** 20, maxAgeMs: 24 * 3600_000, retentionMs: 30 * 24 * 3600_000 };
const ROTATION_CHECK_MS = 10_000;

/**
 * Every tick: rotate when due (size, age), compress and expire old files, and reopen the
 * destination when the path no longer names the file it writes (this process or another one
 * rotated it). Failures are reported once per kind on stderr and retried next tick. Once the data
 * dir itself is gone (removed by an operator, or by a test after its platform stopped), the ticks
 * stop: a reopen would create it again, holding nothing but this process's log.
 */
function scheduleRotation(dir: string, file: Destination, policy: RotationPolicy & { checkIntervalMs?: number }): void {
  const path = join(dir, CURRENT_LOG);
  let running = false;
  let lastError = '';
  const tick = async () => {
    if (running) return;
    if (!existsSync(dirname(dir))) {
      clearInterval(timer);
      return;
    }
    running = true;
    try {
      await rotateLogs(dir, policy);
      const fd = (file as unknown as { fd: number }).fd; // -1 while sonic-boom is (re)opening
      if (fd >= 0) {
        let moved: boolean;
        try {
          moved = statSync(path).ino !== fstatSync(fd).ino;
        } catch {
          moved = true; // the path is gone: renamed by a rotation
        }
        if (moved) file.reopen();
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== lastError) process.stderr.write(`bbws: log rotation failed (retried every ${ROTATION_CHECK_MS / 1000} s): ${message}\n`);
      lastError = message;
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), policy.checkIntervalMs ?? ROTATION_CHECK_MS).unref();
}

const startedOn = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
export function logStreamName(role: string, pid: number): string {
  return `${startedOn}/[${role}]${pid}`;
}

type Destination = ReturnType<typeof pino.destination>;

const isoNow = () => new Date().toISOString();

export function createLogger(options: LoggerOptions): Logger & { flush(): void } {
  const destinations: Destination[] = [];
  if (options.stdout !== false) destinations.push(pino.destination({ dest: 1, sync: false }));
  if (options.dataDir) {
    const dir = join(options.dataDir, 'logs');
    mkdirSync(dir, { recursive: true });
    const file = pino.destination({ dest: join(dir, CURRENT_LOG), mkdir: true, sync: false, mode: 0o600 });
    destinations.push(file);
    scheduleRotation(dir, file, options.rotation ?? DEFAULT_LOG_ROTATION);
  }
  const streams = destinations.map((stream) => ({ level: options.level as pino.Level, stream }));
  const role = options.role ?? 'bbws';
  // Lambda names a log stream `<date>/[<version>]<instance>`: here the process's start date, its
  // roles and its pid, so one process's lines can be told from another's (seed 000 §3).
  const base = { role, pid: process.pid, '@logStream': logStreamName(role, process.pid) };
  setReportMemorySize(options.memorySizeMb ?? processMemoryLimitMb());
  const logger = pino(
    {
      level: options.level,
      messageKey: '@message',
      base,
      timestamp: () => `,"@timestamp":"${isoNow()}"`,
      // Secret fields' values are replaced wherever a caller puts them (log-redaction.ts).
      formatters: { level: (label) => ({ level: label.toUpperCase() }), bindings: redactSecrets, log: redactSecrets },
      hooks: {
        // Seed 000 §3.1 finds errors with `filter @message like /ERROR|Exception|error/`.
        logMethod(args, method, level) {
          if (level >= 50) {
            const i = typeof args[0] === 'string' ? 0 : 1;
            if (typeof args[i] === 'string' && !/error/i.test(args[i] as string)) args[i] = `ERROR ${args[i] as string}`;
            else if (args[i] === undefined) (args as unknown[])[i] = 'ERROR';
          }
          return method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    streams.length ? pino.multistream(streams) : pino.destination('/dev/null'),
  );
  return logger as unknown as Logger & { flush(): void };
}
