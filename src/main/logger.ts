/**
 * pino JSON lines shaped for seed 000's Logs Insights queries: `@timestamp`, `@message`, `level`
 * as a name, and the fields the queries filter on. Written to stdout and to
 * `<dataDir>/logs/bbws.jsonl` (what `bbws logs query` reads).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { Logger } from '../ports/logger.js';

export interface LoggerOptions {
  level: string;
  /** When set, lines are also appended to `<dataDir>/logs/bbws.jsonl`. */
  dataDir?: string;
  /** Defaults to stdout. */
  stdout?: boolean;
  role?: string;
}

export function createLogger(options: LoggerOptions): Logger & { flush(): void } {
  const streams: pino.StreamEntry[] = [];
  if (options.stdout !== false) streams.push({ level: options.level as pino.Level, stream: pino.destination({ dest: 1, sync: false }) });
  if (options.dataDir) {
    const dir = join(options.dataDir, 'logs');
    mkdirSync(dir, { recursive: true });
    streams.push({ level: options.level as pino.Level, stream: pino.destination({ dest: join(dir, 'bbws.jsonl'), mkdir: true, sync: false }) });
  }
  const logger = pino(
    {
      level: options.level,
      messageKey: '@message',
      base: { role: options.role ?? 'bbws', pid: process.pid },
      timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
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
