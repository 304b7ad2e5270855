/**
 * Child process for the audit log's concurrency and kill -9 tests: appends `count` entries (0 =
 * until killed) to the audit log of `dir` through the real adapter, printing each seq written.
 */
import { createJsonlAuditLog } from '../../src/adapters/audit/jsonl-audit-log.js';

const [dir, name, countText] = process.argv.slice(2);
const count = Number(countText);
const audit = createJsonlAuditLog({ dir });
for (let i = 1; count === 0 || i <= count; i++) {
  audit.record({ actor: { subject: name, role: 'platform-admin', tenantId: null }, sourceIp: '127.0.0.1', action: 'POST /v1.0/tenants', target: '/v1.0/tenants', tenantId: `t${i}`, result: { statusCode: 202, errorCode: null }, correlationId: `${name}-${i}` });
  if (i % 50 === 0) process.stdout.write(`${i}\n`);
}
audit.close();
process.stdout.write('done\n');
