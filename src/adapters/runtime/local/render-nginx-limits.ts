/**
 * Pure renderer of the edge's per-tenant request rate and connection limits (nginx `limit_req` /
 * `limit_conn`), kept apart from render-nginx.ts, which splices the blocks in.
 *
 * nginx fixes a zone's rate, and a `limit_conn`'s count, in the config. So there is one zone per
 * tier (domain/tenant-limits.ts RATE_TIERS, CONNECTION_TIERS), every request is counted in exactly
 * one of them — the one whose key variable holds the tenant id, the others' are empty (not counted) —
 * and the tier of a tenant comes from two `map`s in included files (`limits-rate.map`,
 * `limits-conn.map`). Only tenants whose tier is not the default are listed, so a new tenant with
 * default limits changes no file and the edge is not reloaded; changing a tenant's edge limits
 * rewrites the files and reloads the edge (graceful SIGHUP: nginx keeps the zones and the cache).
 *
 * The tenant is `$realpath_root`'s `tenants/<t>/www` (every route of a tenant, its sites' too,
 * resolves there). Over a limit: 429 with a text that says which limit, `Retry-After: 1`, and
 * nginx's own "limiting requests/connections" line in the edge's error log.
 */
import { CONNECTION_TIERS, RATE_TIERS } from '../../../domain/tenant-limits.js';
import { safeInt, safePath, safeTenantId } from './escape.js';

export interface EdgeLimitsInput {
  /** The two map files (`<tenant> <tier>;` lines) included by the config. */
  rateMapFile: string;
  connectionMapFile: string;
  defaultRate: number;
  defaultConnections: number;
}

const tier = (n: number, tiers: readonly number[]) => {
  if (!tiers.includes(n)) throw new Error(`${n} is not a tier of ${tiers.join(', ')}`);
  return safeInt(n, 1, 100_000);
};

/** In `http {}`. */
export function renderLimitsHttp(input: EdgeLimitsInput): string {
  const rate = tier(input.defaultRate, RATE_TIERS);
  const conn = tier(input.defaultConnections, CONNECTION_TIERS);
  const keyMaps = (kind: 'rate' | 'conn', tiers: readonly number[]) =>
    tiers.map((n) => `  map $bbws_${kind}_tier $bbws_${kind}_key_${n} {\n    ${n} $bbws_tenant;\n    default "";\n  }\n`).join('');
  return `
  # Per-tenant edge limits (render-nginx-limits.ts): one zone per tier, a tenant counted in its own.
  map $realpath_root $bbws_tenant {
    "~/tenants/(?<bbws_tenant_id>[a-z0-9-]+)/www$" $bbws_tenant_id;
    default "";
  }
  map $bbws_tenant $bbws_rate_tier {
    include ${safePath(input.rateMapFile)};
    default ${rate};
  }
  map $bbws_tenant $bbws_conn_tier {
    include ${safePath(input.connectionMapFile)};
    default ${conn};
  }
${keyMaps('rate', RATE_TIERS)}${keyMaps('conn', CONNECTION_TIERS)}${RATE_TIERS.map((n) => `  limit_req_zone $bbws_rate_key_${n} zone=bbws_rate_${n}:4m rate=${n}r/s;\n`).join('')}${CONNECTION_TIERS.map((n) => `  limit_conn_zone $bbws_conn_key_${n} zone=bbws_conn_${n}:4m;\n`).join('')}  limit_req_status 429;
  limit_conn_status 429;
`;
}

/** In `server {}`: every tier (only the tenant's own counts), and the 429 answer. */
export function renderLimitsServer(hsts = ''): string {
  return `
    # Per-tenant edge limits (render-nginx-limits.ts). burst: twice the rate, served without delay.
${RATE_TIERS.map((n) => `    limit_req zone=bbws_rate_${n} burst=${n * 2} nodelay;\n`).join('')}${CONNECTION_TIERS.map((n) => `    limit_conn bbws_conn_${n} ${n};\n`).join('')}    error_page 429 @bbws_limited;
    location @bbws_limited {
      default_type text/plain;
      add_header Retry-After 1 always;
${hsts}      return 429 "Too many requests: this site's tenant is over its edge limit (requestsPerSecond or connections, docs/limits.md). Retry in a moment.\\n";
    }
`;
}

/** A map file: `<tenant> <tier>;` for each tenant whose tier is not the default (sorted). */
export function renderTierMap(tiers: ReadonlyMap<string, number>, allowed: readonly number[]): string {
  const lines = [...tiers].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${safeTenantId(t)} ${tier(n, allowed)};\n`);
  return `# Rendered by bbws (render-nginx-limits.ts). Do not edit.\n${lines.join('')}`;
}

export const LIMIT_RESPONSES_LOG = 'limit-responses.jsonl';

/**
 * In `http {}`: every answer of a limit — 429 (request rate, connections, a brute-force block),
 * 413 (upload size), 507 (disk quota) — as one JSON line in `edge/logs/limit-responses.jsonl`,
 * which limit-responses.ts counts per tenant for the alarms. Which limit said no: nginx's
 * `$limit_req_status` / `$limit_conn_status` (REJECTED), else whether PHP answered (upstream).
 */
export function renderLimitResponseLog(edgeDir: string): string {
  return `  # Answers over a limit (413, 429, 507), counted per tenant for the alarms (render-nginx-limits.ts).
  map $status $bbws_limit_response {
    413 1;
    429 1;
    507 1;
    default 0;
  }
  log_format bbws_limits escape=json '{"time":"$time_iso8601","ip":"$remote_addr","host":"$host","status":$status,"req":"$limit_req_status","conn":"$limit_conn_status","upstream":"$upstream_status"}';
  access_log ${safePath(edgeDir)}/logs/${LIMIT_RESPONSES_LOG} bbws_limits if=$bbws_limit_response;
`;
}
