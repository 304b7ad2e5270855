/**
 * Per-tenant limits (issue 15): what one tenant may use of the host, so that a busy or hostile
 * tenant cannot take it from its neighbours. Defaults follow the instance's resources (desiredCount,
 * memory); an operator overrides any of them through the scale/update call (PATCH …/instance
 * {limits}), which goes through the saga like any spec change (validated, journaled, undone on failure).
 *
 * Where each is enforced on the local runtime: PHP workers, memory_limit and upload size in the
 * tenant's php-fpm pool (a request body over the upload size is a 413 from the platform's prepend);
 * MariaDB MAX_USER_CONNECTIONS and MAX_STATEMENT_TIME on the tenant's database user; request rate
 * and connections at the edge (429; render-nginx-limits.ts); the content disk quota by a periodic
 * measure of the tenant's files (disk-quota.ts), over which uploads and large writes are a 507.
 */
import { BbwsError } from './errors.js';

/** What the defaults follow: the instance's resources (tenant.ts `Resources`, not imported: no cycle). */
interface Resources {
  memory: number;
  desiredCount: number;
}

export interface TenantLimits {
  /** php-fpm `pm.max_children`: PHP requests served at once. */
  phpWorkers: number;
  /** PHP `memory_limit` per request, MiB. */
  memoryLimitMb: number;
  /** Largest upload (and request body), MiB. */
  uploadMaxMb: number;
  /** MariaDB `MAX_USER_CONNECTIONS` of the tenant's user. */
  dbConnections: number;
  /** MariaDB `MAX_STATEMENT_TIME` of the tenant's user, seconds: a longer query is aborted. */
  dbQueryTimeSeconds: number;
  /** Requests per second at the edge (burst: twice as many); over it, 429. One of RATE_TIERS. */
  requestsPerSecond: number;
  /** Connections open at once at the edge; over it, 429. One of CONNECTION_TIERS. */
  connections: number;
  /** The tenant's files (uploads, logs, temp files), MiB; over it, uploads and large request bodies get 507. */
  diskQuotaMb: number;
}

/** The edge's limits come in tiers: nginx fixes a zone's rate in its config (render-nginx-limits.ts). */
export const RATE_TIERS = [5, 10, 20, 50, 100, 200, 500, 1000, 5000, 20000] as const;
export const CONNECTION_TIERS = [5, 10, 20, 50, 100, 200, 500, 1000] as const;
/** What an instance of desiredCount 1 gets: the edge's own default (no map entry, no reload). */
export const DEFAULT_EDGE_LIMITS = { requestsPerSecond: 50, connections: 20 } as const;

const tierFor = (want: number, tiers: readonly number[]) => tiers.find((n) => n >= want) ?? tiers[tiers.length - 1]!;

/** Bounds of each limit: [min, max], and what it is for the error message. */
export const LIMIT_BOUNDS: Readonly<Record<keyof TenantLimits, readonly [number, number]>> = {
  phpWorkers: [1, 200],
  memoryLimitMb: [32, 4096],
  uploadMaxMb: [1, 512],
  dbConnections: [2, 1000],
  dbQueryTimeSeconds: [1, 3600],
  requestsPerSecond: [RATE_TIERS[0], RATE_TIERS[RATE_TIERS.length - 1]],
  connections: [CONNECTION_TIERS[0], CONNECTION_TIERS[CONNECTION_TIERS.length - 1]],
  diskQuotaMb: [100, 1_048_576],
};

const TIERS: Partial<Record<keyof TenantLimits, readonly number[]>> = { requestsPerSecond: RATE_TIERS, connections: CONNECTION_TIERS };

/** The limits an instance gets when nobody set them: 4 PHP workers per task, half the task's memory per request. */
export function defaultLimits(resources: Resources): TenantLimits {
  const phpWorkers = Math.max(1, Math.min(LIMIT_BOUNDS.phpWorkers[1], resources.desiredCount * 4));
  return {
    phpWorkers,
    memoryLimitMb: Math.max(128, Math.min(1024, Math.floor(resources.memory / 2))),
    uploadMaxMb: 64,
    // Every PHP worker may hold one connection, plus room for the platform's own (installs, cron).
    dbConnections: phpWorkers + 5,
    dbQueryTimeSeconds: 30,
    // 25 requests/s and 20 connections per task, rounded up to a tier.
    requestsPerSecond: tierFor(25 * Math.max(1, resources.desiredCount), RATE_TIERS),
    connections: tierFor(20 * Math.max(1, resources.desiredCount), CONNECTION_TIERS),
    // 10 GiB of files per task.
    diskQuotaMb: Math.min(LIMIT_BOUNDS.diskQuotaMb[1], 10_240 * Math.max(1, resources.desiredCount)),
  };
}

/** The limits in force: the defaults of the resources with the operator's overrides on top. */
export function effectiveLimits(spec: { resources: Resources; limits?: Partial<TenantLimits> }): TenantLimits {
  return { ...defaultLimits(spec.resources), ...(spec.limits ?? {}) };
}

/**
 * `{phpWorkers?, memoryLimitMb?, …}` over `current` overrides: VALIDATION_FAILED naming the field
 * otherwise. A `null` value removes the override (back to the default).
 */
export function parseLimits(value: unknown, current: Partial<TenantLimits> = {}): Partial<TenantLimits> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BbwsError('VALIDATION_FAILED', `limits must be an object with any of ${Object.keys(LIMIT_BOUNDS).join(', ')}.`, { field: 'limits' });
  const next: Partial<TenantLimits> = { ...current };
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!(k in LIMIT_BOUNDS)) throw new BbwsError('VALIDATION_FAILED', `limits.${k} is not a limit; the limits are ${Object.keys(LIMIT_BOUNDS).join(', ')}.`, { field: `limits.${k}` });
    const key = k as keyof TenantLimits;
    if (v === null) {
      delete next[key];
      continue;
    }
    const [min, max] = LIMIT_BOUNDS[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new BbwsError('VALIDATION_FAILED', `limits.${k} must be a whole number from ${min} to ${max} (or null for the default).`, { field: `limits.${k}` });
    const tiers = TIERS[key];
    if (tiers && !tiers.includes(v)) throw new BbwsError('VALIDATION_FAILED', `limits.${k} must be one of ${tiers.join(', ')} (the edge's tiers; or null for the default).`, { field: `limits.${k}` });
    next[key] = v;
  }
  return next;
}
