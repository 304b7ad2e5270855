/**
 * Per-tenant limits (issue 15): what one tenant may use of the host, so that a busy or hostile
 * tenant cannot take it from its neighbours. Defaults follow the instance's resources (desiredCount,
 * memory); an operator overrides any of them through the scale/update call (PATCH …/instance
 * {limits}), which goes through the saga like any spec change (validated, journaled, undone on failure).
 *
 * Where each is enforced on the local runtime: PHP workers, memory_limit and upload size in the
 * tenant's php-fpm pool (a request body over the upload size is a 413 from the platform's prepend);
 * MariaDB MAX_USER_CONNECTIONS and MAX_STATEMENT_TIME on the tenant's database user.
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
}

/** Bounds of each limit: [min, max], and what it is for the error message. */
export const LIMIT_BOUNDS: Readonly<Record<keyof TenantLimits, readonly [number, number]>> = {
  phpWorkers: [1, 200],
  memoryLimitMb: [32, 4096],
  uploadMaxMb: [1, 512],
  dbConnections: [2, 1000],
  dbQueryTimeSeconds: [1, 3600],
};

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
    next[key] = v;
  }
  return next;
}
