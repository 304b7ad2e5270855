/**
 * What of a request goes to the audit log: every request that may change something (any method
 * but GET, HEAD and OPTIONS), whatever its answer, and every rejected token (401) with its reason
 * and address. Recorded after the answer, with the status and error code it got. Neither the body
 * nor the query string is recorded (they may carry secrets).
 */
import type { FastifyRequest } from 'fastify';
import type { AuditLog } from '../ports/audit.js';

const READ_ONLY = new Set(['GET', 'HEAD', 'OPTIONS']);

export function auditRequest(audit: AuditLog, request: FastifyRequest, statusCode: number, action: string): void {
  const rejected = statusCode === 401;
  if (!rejected && READ_ONLY.has(request.method)) return;
  const query = request.url.indexOf('?');
  const principal = request.principal;
  const tenantId = (request.params as Record<string, string | undefined> | undefined)?.tenantId ?? principal?.tenantId ?? null;
  audit.record({
    actor: principal ? { subject: principal.subject, role: principal.role, tenantId: principal.tenantId } : null,
    sourceIp: request.ip,
    action: rejected ? 'AUTH_REJECTED' : action,
    target: (query === -1 ? request.url : request.url.slice(0, query)).slice(0, 512),
    tenantId,
    result: { statusCode, errorCode: statusCode >= 400 ? (request.errorCode ?? null) : null },
    correlationId: request.id,
    ...(rejected ? { details: { reason: request.errorCode ?? 'UNAUTHORIZED', request: action } } : {}),
  });
}
