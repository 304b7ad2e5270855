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
type FlatFields = Readonly<Record<string, string | number | undefined>>;

const INFO = 30;

/**
 * Fields that may carry a secret, wherever a caller puts them in a log line: pino's redaction
 * (fast-redact) replaces their values before the line is written. Top level and one level down
 * (`{ headers: { authorization } }`, `{ input: { password } }`).
 */
const SECRET_KEYS = ['authorization', 'cookie', 'password', 'adminPassword', 'dbPassword', 'token', 'secret', 'apiKey', 'basicAuth'];
export const REDACTED_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.headers.${key}`]);
const isoNow = () => new Date().toISOString();

/**
 * What pino writes for `info(fields, msg)` on a logger with these bindings, made by one
 * JSON.stringify of a flat record: a flat string, where pino's piecewise concatenation leaves a
 * rope that each later step (byte count, buffer append, write) flattens again.
 */
function flatLine(bindings: Readonly<Record<string, unknown>>, fields: FlatFields, msg: string): string {
  const record: Record<string, unknown> = { level: 'INFO', '@timestamp': isoNow() };
  for (const key in bindings) record[key] = bindings[key];
  for (const key in fields) record[key] = fields[key];
  record['@message'] = msg;
  return `${JSON.stringify(record)}\n`;
}

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
  attachInfoFlat(logger, base, destinations);
  return logger as unknown as Logger & { flush(): void };
}

/** The bindings of each logger (base, then every child's), for `infoFlat`. */
const flatBindings = Symbol('flatBindings');
type FlatLogger = pino.Logger & { [flatBindings]: Readonly<Record<string, unknown>> };

/**
 * Adds `infoFlat` to the root logger, and a `child` that records each child's bindings for it.
 * pino makes children with Object.create, so they inherit both. Lines go to the same
 * destinations as pino's, in call order.
 */
function attachInfoFlat(logger: pino.Logger, base: Readonly<Record<string, unknown>>, destinations: readonly Destination[]): void {
  const pinoChild = Object.getPrototypeOf(logger).child as (this: pino.Logger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => pino.Logger;
  Object.defineProperties(logger, {
    [flatBindings]: { value: base },
    infoFlat: {
      value(this: FlatLogger, fields: FlatFields, msg: string): void {
        if (this.levelVal > INFO || destinations.length === 0) return;
        const line = flatLine(this[flatBindings], fields, msg);
        for (const d of destinations) d.write(line);
      },
    },
    child: {
      value(this: FlatLogger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions): pino.Logger {
        const made = pinoChild.call(this, bindings, options);
        Object.defineProperty(made, flatBindings, { value: { ...this[flatBindings], ...bindings } });
        return made;
      },
    },
  });
}
