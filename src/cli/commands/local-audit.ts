/**
 * Audit entries for what a CLI command does without the API (minting a token, `doctor --fix`):
 * the actor is the Unix user that ran it. Commands that call the API are recorded by the API.
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createJsonlAuditLog } from '../../adapters/audit/jsonl-audit-log.js';

export function recordLocalAction(dataDir: string, action: string, target: string, tenantId: string | null, details: Record<string, string | number | boolean | null> = {}): void {
  const audit = createJsonlAuditLog({ dir: join(dataDir, 'audit') });
  try {
    audit.record({
      actor: { subject: `unix:${userInfo().username}`, role: 'local-operator', tenantId: null },
      sourceIp: 'local',
      action,
      target,
      tenantId,
      result: { statusCode: 200, errorCode: null },
      correlationId: null,
      details,
    });
  } finally {
    audit.close();
  }
}
