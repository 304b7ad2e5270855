/**
 * Reading one of the edge's own logs as it grows (the failed logins of login-guard.ts, the limit
 * answers of limit-responses.ts): whole lines since the last read, with the read position kept
 * beside the log, so a restarted or killed bbws neither loses nor repeats a line. And the tenant a
 * host name routes to, as nginx resolves it.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LogTail {
  /** The whole lines written since the last call (a partial last line waits for the next). */
  readNew(): string[];
  /** Keeps the position for the next start. */
  save(): void;
}

export function createLogTail(log: string, offsetFile: string): LogTail {
  // The first start begins at the end: what was logged before is not news.
  let offset = existsSync(offsetFile) ? Number(readFileSync(offsetFile, 'utf8')) || 0 : existsSync(log) ? statSync(log).size : 0;
  return {
    readNew() {
      if (!existsSync(log)) return [];
      const size = statSync(log).size;
      if (size < offset) offset = 0; // rotated or truncated
      if (size === offset) return [];
      const fd = openSync(log, 'r');
      try {
        const buf = Buffer.alloc(size - offset);
        readSync(fd, buf, 0, buf.length, offset);
        const end = buf.lastIndexOf(0x0a) + 1; // whole lines only; the rest next time
        offset += end;
        return buf.subarray(0, end).toString('utf8').split('\n').filter(Boolean);
      } finally {
        closeSync(fd);
      }
    },
    save: () => writeFileSync(offsetFile, String(offset), { mode: 0o600 }),
  };
}

/** The tenant whose route `host` is (routes/<host> → tenants/<t>/www), or null: no route (any more). */
export function tenantOfHost(routesDir: string, host: string): string | null {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(host)) return null; // as the edge checks it: never a path
  try {
    return /\/tenants\/([a-z0-9]+)(\/|$)/.exec(realpathSync(join(routesDir, host)))?.[1] ?? null;
  } catch {
    return null;
  }
}
