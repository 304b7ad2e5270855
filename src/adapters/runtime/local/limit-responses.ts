/**
 * Counts the edge's answers over a tenant's limit (render-nginx-limits.ts renderLimitResponseLog
 * writes them to `edge/logs/limit-responses.jsonl`): each poll reads what was logged since the
 * last one and reports a count per tenant and limit, for the metrics the alarms read and one log
 * line per tenant and limit (not one per request: a flood would flood the log too).
 */
import { join } from 'node:path';
import { createLogTail, tenantOfHost } from './edge-log-tail.js';
import { LIMIT_RESPONSES_LOG } from './render-nginx-limits.js';

/** Which limit said no (docs/limits.md names; `loginBlock`: the brute-force guard's block). */
export type LimitName = 'requestsPerSecond' | 'connections' | 'loginBlock' | 'uploadMaxMb' | 'diskQuotaMb';

export interface LimitResponses {
  tenantId: string | null;
  limit: LimitName;
  status: number;
  count: number;
}

interface LoggedAnswer {
  host: string;
  status: number;
  req: string;
  conn: string;
  upstream: string;
}

/** null: a 429 of the site's own PHP (a plugin's), no limit of ours. */
function limitOf(a: LoggedAnswer): LimitName | null {
  if (a.status === 413) return 'uploadMaxMb';
  if (a.status === 507) return 'diskQuotaMb';
  if (a.req.startsWith('REJECTED')) return 'requestsPerSecond';
  if (a.conn.startsWith('REJECTED')) return 'connections';
  // The brute-force block is answered by the edge itself, before any PHP.
  return a.upstream === '' || a.upstream === '-' ? 'loginBlock' : null;
}

export function createLimitResponseWatch(o: { edgeDir: string; routesDir: string }) {
  const tail = createLogTail(join(o.edgeDir, 'logs', LIMIT_RESPONSES_LOG), join(o.edgeDir, 'logs', 'limit-responses.offset'));
  return {
    /** The answers logged since the last call, counted per tenant, limit and status. */
    poll(): LimitResponses[] {
      const counts = new Map<string, LimitResponses>();
      const tenants = new Map<string, string | null>();
      for (const line of tail.readNew()) {
        let a: LoggedAnswer;
        try {
          a = JSON.parse(line);
        } catch {
          continue;
        }
        const limit = limitOf(a);
        if (!limit) continue;
        if (!tenants.has(a.host)) tenants.set(a.host, tenantOfHost(o.routesDir, a.host));
        const tenantId = tenants.get(a.host)!;
        const key = `${tenantId}\n${limit}\n${a.status}`;
        const c = counts.get(key);
        if (c) c.count++;
        else counts.set(key, { tenantId, limit, status: a.status, count: 1 });
      }
      tail.save();
      return [...counts.values()];
    },
  };
}
