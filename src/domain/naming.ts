/**
 * Naming rules from the seeds (003: tenant names, `<env>-<tenant>-…` resources; 004: cluster and
 * DLQ names; 001: site queues). Every name that reaches a path, SQL identifier, shell argument or
 * config file is built here from a validated tenant id.
 */
import { BbwsError } from './errors.js';

export const ENVIRONMENTS = ['dev', 'sit', 'prod'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Seed 003: lowercase letters and digits only; 3-32 characters. */
const TENANT_ID = /^[a-z0-9]{3,32}$/;

/** Names that would collide with platform resources or confuse operators. */
const RESERVED_TENANT_IDS = new Set(['admin', 'api', 'www', 'bbws', 'root', 'mysql', 'test', 'information', 'performance', 'sys']);

export function isValidTenantId(value: unknown): value is string {
  return typeof value === 'string' && TENANT_ID.test(value) && !RESERVED_TENANT_IDS.has(value);
}

/** Throws INVALID_TENANT_ID unless `value` is a usable tenant id. */
export function assertTenantId(value: unknown): string {
  if (!isValidTenantId(value)) {
    throw new BbwsError('INVALID_TENANT_ID', undefined, {
      field: 'tenantName',
      rule: '^[a-z0-9]{3,32}$, not reserved',
    });
  }
  return value;
}

export function isEnvironment(value: unknown): value is Environment {
  return typeof value === 'string' && (ENVIRONMENTS as readonly string[]).includes(value);
}

/** A DNS host name: labels of letters, digits and hyphens, 1-253 characters, lower-cased. */
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function isValidHostname(value: unknown): value is string {
  return typeof value === 'string' && HOSTNAME.test(value);
}

export const names = {
  serviceName: (env: Environment, tenantId: string) => `${env}-${tenantId}-service`,
  dbCredentialsSecret: (env: Environment, tenantId: string) => `${env}-${tenantId}-db-credentials`,
  databaseName: (tenantId: string) => `${tenantId}_db`,
  databaseUser: (tenantId: string) => `${tenantId}_user`,
  clusterName: (env: Environment) => `bbws-cluster-${env}`,
  /** Seed 003: `<tenant>.wp<env>.<baseDomain>`. */
  defaultHostname: (env: Environment, tenantId: string, baseDomain: string) => `${tenantId}.wp${env}.${baseDomain}`,
};

/**
 * Extracts the tenant id from an ECS service name: `<env>-<tenant>-service` (seed 003/004) or
 * `tenant-<tenant>-wordpress` (seed 000). Returns undefined when neither pattern matches.
 */
export function tenantIdFromServiceName(serviceName: string): string | undefined {
  const name = serviceName.includes('/') ? serviceName.slice(serviceName.lastIndexOf('/') + 1) : serviceName;
  let m = /^(dev|sit|prod)-([a-z0-9]+)-service$/.exec(name);
  if (m && isValidTenantId(m[2])) return m[2];
  m = /^tenant-([a-z0-9]+)-wordpress$/.exec(name);
  if (m && isValidTenantId(m[1])) return m[1];
  return undefined;
}
