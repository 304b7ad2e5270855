/**
 * Request and response schemas: Fastify validates requests with them and /openapi.json is
 * generated from the same objects. Bodies reject unknown fields and wrong types (no coercion).
 */
import { Type, type Static } from '@sinclair/typebox';
import { PROVISIONING_STATES } from '../domain/tenant.js';
import { OPERATION_STATUSES, OPERATION_TYPES } from '../domain/operation.js';

const strict = { additionalProperties: false } as const;

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Record(Type.String(), Type.Unknown()),
    correlationId: Type.String(),
  }),
});

export const TenantIdParams = Type.Object({ tenantId: Type.String({ maxLength: 64 }) }, strict);

export const CreateTenantBody = Type.Object(
  {
    tenantName: Type.String({ minLength: 1, maxLength: 64, description: 'Lowercase letters and digits, 3-32 characters; becomes the tenant id.' }),
    domainName: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    resources: Type.Optional(
      Type.Object(
        {
          cpu: Type.Optional(Type.Integer({ description: 'ECS CPU units: 256, 512, 1024, 2048 or 4096' })),
          memory: Type.Optional(Type.Integer({ description: 'MiB' })),
          desiredCount: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        strict,
      ),
    ),
  },
  strict,
);
export type CreateTenantBody = Static<typeof CreateTenantBody>;

export const AcceptedBody = Type.Object({
  tenantId: Type.String(),
  operationId: Type.String(),
  provisioningState: Type.Union(PROVISIONING_STATES.map((s) => Type.Literal(s))),
});

export const InstanceView = Type.Object({
  provisioningState: Type.String({ enum: [...PROVISIONING_STATES] }),
  workflowStatus: Type.Union([Type.String(), Type.Null()]),
  desiredCount: Type.Integer(),
  runningCount: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String(),
  version: Type.Integer(),
  hostnames: Type.Array(Type.String()),
  resources: Type.Object({ cpu: Type.Integer(), memory: Type.Integer(), desiredCount: Type.Integer() }),
  limits: Type.Optional(
    Type.Object(
      { phpWorkers: Type.Integer(), memoryLimitMb: Type.Integer(), uploadMaxMb: Type.Integer(), dbConnections: Type.Integer(), dbQueryTimeSeconds: Type.Integer(), requestsPerSecond: Type.Integer(), connections: Type.Integer(), diskQuotaMb: Type.Integer() },
      { description: 'Per-tenant limits in force (docs/limits.md)' },
    ),
  ),
  revision: Type.Integer(),
});

export const TenantView = Type.Object({
  tenantId: Type.String(),
  domainName: Type.String(),
  environment: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  version: Type.Integer({ description: 'Instance version: send it as If-Match to change the instance.' }),
  instance: Type.Union([InstanceView, Type.Null()]),
});

export const TenantList = Type.Object({ items: Type.Array(TenantView), nextToken: Type.Union([Type.String(), Type.Null()]) });

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1-100, default 25' })),
    nextToken: Type.Optional(Type.String({ maxLength: 512 })),
  },
  strict,
);

export const ScaleBody = Type.Object(
  {
    desiredCount: Type.Optional(Type.Integer({ minimum: 0 })),
    // Checked by the domain (parseLimits), so a bad value is a VALIDATION_FAILED naming its field.
    limits: Type.Optional(Type.Unknown({ description: 'per-tenant limit overrides: phpWorkers, memoryLimitMb, uploadMaxMb, dbConnections, dbQueryTimeSeconds, requestsPerSecond, connections, diskQuotaMb (null: default)' })),
  },
  strict,
);

export const DeleteQuery = Type.Object({ mode: Type.Optional(Type.Union([Type.Literal('soft'), Type.Literal('hard')])) }, strict);

export const OperationView = Type.Object({
  operationId: Type.String(),
  type: Type.String({ enum: [...OPERATION_TYPES] }),
  status: Type.String({ enum: [...OPERATION_STATUSES] }),
  tenantId: Type.String(),
  input: Type.Record(Type.String(), Type.Unknown()),
  steps: Type.Array(
    Type.Object({
      name: Type.String(),
      status: Type.String(),
      startedAt: Type.String(),
      durationMs: Type.Union([Type.Number(), Type.Null()]),
      error: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  error: Type.Union([Type.String(), Type.Null()]),
  correlationId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  deadlineAt: Type.String(),
});

export const OperationIdParams = Type.Object({ operationId: Type.String({ maxLength: 64 }) }, strict);

export const EventResultBody = Type.Object({
  status: Type.String({ enum: ['success', 'ignored', 'queued'] }),
  reason: Type.Optional(Type.String()),
  tenantId: Type.Optional(Type.String()),
  provisioningState: Type.Optional(Type.String()),
});

export const QueueNameParams = Type.Object({ queue: Type.String({ pattern: '^[a-z0-9-]{1,80}$' }) }, strict);
export const PeekQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,2}$' })) }, strict);
/** A certificate's name: a routed host name or `_default`. */
export const CertificateNameParams = Type.Object({ name: Type.String({ pattern: '^(_default|[a-z0-9][a-z0-9.-]{0,252})$' }) }, strict);
export const ManualCertificateBody = Type.Object({ certificate: Type.String({ minLength: 1, maxLength: 65_536 }), privateKey: Type.String({ minLength: 1, maxLength: 16_384 }) }, strict);
