/** Builders for complete, valid store records; tests override only the fields they are about. */
import type { Site } from '../../src/domain/site.js';
import type { Operation } from '../../src/domain/operation.js';
import type { Instance, InstanceSpec, Tenant } from '../../src/domain/tenant.js';

const T0 = '2030-01-01T00:00:00.000Z';

export function makeTenant(tenantId: string, overrides: Partial<Tenant> = {}): Tenant {
  return {
    tenantId,
    domainName: `${tenantId}.wpdev.example.com`,
    environment: 'dev',
    createdAt: T0,
    updatedAt: T0,
    version: 1,
    ...overrides,
  };
}

export function makeSpec(tenantId: string, overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    tenantId,
    environment: 'dev',
    hostnames: [`${tenantId}.wpdev.example.com`],
    resources: { cpu: 256, memory: 512, desiredCount: 1 },
    revision: 1,
    ...overrides,
  };
}

export function makeInstance(tenantId: string, overrides: Partial<Instance> = {}): Instance {
  return {
    tenantId,
    provisioningState: 'PROVISIONING',
    workflowStatus: null,
    desiredCount: 1,
    runningCount: 0,
    lastError: null,
    spec: makeSpec(tenantId),
    previousSpec: null,
    lastEventTime: null,
    lastEventId: null,
    updatedAt: T0,
    version: 1,
    ...overrides,
  };
}

export function makeOperation(operationId: string, tenantId: string, overrides: Partial<Operation> = {}): Operation {
  return {
    operationId,
    type: 'CREATE_TENANT',
    status: 'PENDING',
    tenantId,
    input: { desiredCount: 1, nested: { list: [1, 'two', null] } },
    steps: [],
    error: null,
    correlationId: `corr-${operationId}`,
    createdAt: T0,
    updatedAt: T0,
    deadlineAt: '2030-01-01T00:15:00.000Z',
    version: 1,
    ...overrides,
  };
}

/** An ISO time `seconds` after the fixtures' base time (ordering tests). */
export function isoAt(seconds: number): string {
  return new Date(Date.parse(T0) + seconds * 1000).toISOString();
}

export function makeSite(tenantId: string, siteId: string, overrides: Partial<Site> = {}): Site {
  return {
    tenantId,
    siteId,
    siteName: `site-${siteId.slice(0, 4)}`,
    title: 'A site',
    adminEmail: 'owner@example.com',
    environment: 'production',
    hostnames: [`${siteId}.${tenantId}.wpdev.localhost`],
    templateId: null,
    status: 'PROVISIONING',
    lastError: null,
    promoteBackupId: null,
    plugins: [],
    expiresAt: null,
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}
