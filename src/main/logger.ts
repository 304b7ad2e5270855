/**
 * pino JSON lines shaped for seed 000's Logs Insights queries: `@timestamp`, `@message`, `level`
 * as a name, and the fields the queries filter on. Written to stdout and to
 * `<dataDir>/logs/bbws.jsonl` (what `bbws logs query` reads).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { setReportMemorySize } from '../app/report-line.js';
import type { Logger } from '../ports/logger.js';
import { processMemoryLimitMb } from './memory-limit.js';

export interface LoggerOptions {
  level: string;
  /** When set, lines are also appended to `<dataDir>/logs/bbws.jsonl`. */
  dataDir?: string;
  /** Defaults to stdout. */
  stdout?: boolean;
  role?: string;
  /** `@memorySize` of REPORT lines; default: the process's memory limit (memory-limit.ts). */
  memorySizeMb?: number;
}

const startedOn = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
export function logStreamName(role: string, pid: number): string {
  return `${startedOn}/[${role}]${pid}`;
}

type Destination = ReturnType<typeof pino.destination>;

/**
 * Fields that may carry a secret, wherever a caller puts them in a log line: pino's redaction
 * (fast-redact) replaces their values before the line is written. Top level and one level down
 * (`{ headers: { authorization } }`, `{ input: { password } }`).
 */
const SECRET_KEYS = ['authorization', 'cookie', 'password', 'adminPassword', 'dbPassword', 'token', 'secret', 'apiKey', 'basicAuth'];
export const REDACTED_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.headers.${key}`]);
const isoNow = () => new Date().toISOString();

export function createLogger(options: LoggerOptions): Logger & { flush(): void } {
  const destinations: Destination[] = [];
  if (options.stdout !== false) destinations.push(pino.destination({ dest: 1, sync: false }));
  if (options.dataDir) {
    const dir = join(options.dataDir, 'logs');
    mkdirSync(dir, { recursive: true });
    destinations.push(pino.destination({ dest: join(dir, 'bbws.jsonl'), mkdir: true, sync: false }));
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
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: () => `,"@timestamp":"${isoNow()}"`,
      formatters: { level: (label) => ({ level: label.toUpperCase() }) },
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
