/**
 * The checks of `bbws doctor` that ask the running platform: /health and each component in it,
 * queue depth and DLQs, operations past their deadline, and every ACTIVE tenant's route through
 * the edge (what its visitors get).
 */
import { request } from 'node:http';
import type { ApiClient } from '../api-client.js';
import { pass, problem, type DoctorCheck } from './doctor-check.js';
import type { PlatformRecord } from './local-checks.js';

interface Component {
  name: string;
  status: 'ok' | 'degraded' | 'down';
  detail?: string;
  restarts?: number;
}

/** Seed 004 §9's rollback trigger (> 10 in a DLQ) fails; seed 001's DLQMessages = 0 warns. */
const DLQ_FAIL_ABOVE = 10;
/** A message older than an operation's deadline (15 min) in a work queue: nothing consumes it. */
const OLDEST_WARN_SECONDS = 900;

function nextFor(component: string, dataDir: string): string {
  if (component === 'disk') return 'free space on the data dir\'s file system';
  if (component === 'queues') return 'bbws queues stats; bbws dlq list <dlq>; fix the cause, then bbws dlq redrive <dlq>';
  if (component === 'store') return `state.db does not answer: see ${dataDir}/logs/bbws.jsonl; restart bbws`;
  if (component === 'secrets') return 'bbws secrets list: rotate each OVERDUE secret with the command shown (bbws secrets rotate TENANT --db)';
  if (component === 'tenants') return 'bbws tenants get <id> for each unhealthy tenant (lastError); its php-fpm log is under the runtime tree';
  return `the supervisor restarts it with backoff; if it stays down, read its log under the runtime tree and ${dataDir}/logs/bbws.jsonl, then restart bbws`;
}

export async function checkHealth(apiUrl: string, dataDir: string): Promise<DoctorCheck[]> {
  let status: number;
  let body: { status: string; components: Component[] };
  try {
    const res = await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(10_000) });
    status = res.status;
    body = (await res.json()) as typeof body;
  } catch (err) {
    return [problem('health', 'fail', `${apiUrl}/health did not answer: ${(err as Error).message}`, `the API is not answering: check the bbws process and ${dataDir}/logs/bbws.jsonl; restart bbws`)];
  }
  const out: DoctorCheck[] = [status === 200 ? pass('health', `${apiUrl}/health 200 (${body.status})`) : problem('health', 'fail', `${apiUrl}/health ${status} (${body.status})`, 'see the components below')];
  for (const c of body.components) {
    const name = `component ${c.name}`;
    const detail = c.detail ?? c.status;
    if (c.status === 'down') out.push(problem(name, 'fail', detail, nextFor(c.name, dataDir)));
    else if (c.status === 'degraded') out.push(problem(name, 'warn', detail, nextFor(c.name, dataDir)));
    else if (c.restarts) out.push(problem(name, 'warn', `${detail}; restarted ${c.restarts} time(s) since bbws started`, `it crashed and was restarted: find why in its log (last exit above); if it keeps crashing, escalate`));
    else out.push(pass(name, detail));
  }
  return out;
}

interface QueueStats {
  queue: string;
  visible: number;
  notVisible: number;
  oldestAgeSeconds: number | null;
  deadLetterQueue: string | null;
}

export async function checkQueues(client: ApiClient): Promise<DoctorCheck[]> {
  const { items } = await client.request<{ items: QueueStats[] }>('GET', '/v1.0/admin/queues');
  const dlqs = new Set(items.map((q) => q.deadLetterQueue).filter((q): q is string => q !== null));
  const out: DoctorCheck[] = [];
  for (const q of items) {
    const name = `queue ${q.queue}`;
    if (dlqs.has(q.queue)) {
      const detail = `${q.visible} messages in the dead-letter queue`;
      if (q.visible > DLQ_FAIL_ABOVE) out.push(problem(name, 'fail', `${detail} (more than ${DLQ_FAIL_ABOVE}: seed 004 rollback trigger)`, `bbws dlq list ${q.queue}; fix the cause, then bbws dlq redrive ${q.queue}`));
      else if (q.visible > 0) out.push(problem(name, 'warn', `${detail} (seed 001: DLQMessages should be 0)`, `bbws dlq list ${q.queue}; fix the cause, then bbws dlq redrive ${q.queue}`));
      else out.push(pass(name, 'empty'));
      continue;
    }
    const age = q.oldestAgeSeconds ?? 0;
    const detail = `${q.visible} waiting, ${q.notVisible} in flight, oldest ${age} s`;
    out.push(age > OLDEST_WARN_SECONDS ? problem(name, 'warn', `${detail} (older than ${OLDEST_WARN_SECONDS} s)`, 'the worker is not keeping up or not running: check component role:worker and bbws operations open') : pass(name, detail));
  }
  return out;
}

export async function checkOperations(client: ApiClient): Promise<DoctorCheck> {
  const { items } = await client.request<{ items: { operationId: string; tenantId: string; type: string; pastDeadline: boolean; currentStep: string | null }[] }>('GET', '/v1.0/admin/operations/open');
  const late = items.filter((o) => o.pastDeadline);
  if (late.length === 0) return pass('operations', `${items.length} open, none past its deadline`);
  const list = late.slice(0, 5).map((o) => `${o.operationId} (${o.type} ${o.tenantId}, at ${o.currentStep ?? '-'})`).join(', ');
  return problem('operations', 'fail', `${late.length} past their deadline: ${list}`, 'the reconciler fails them within a pass; if they stay, check role:reconciler; then bbws operations get <id> and bbws operations retry <id>');
}

function edgeStatus(edgePort: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: edgePort, path: '/', headers: { host: `${host}:${edgePort}` }, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Every ACTIVE tenant's route through the edge: 200, a redirect, or 401 where basic auth guards it. */
export async function checkTenantRoutes(client: ApiClient, platform: PlatformRecord): Promise<DoctorCheck> {
  const tenants: { tenantId: string; domainName: string; instance: { provisioningState: string } | null }[] = [];
  let nextToken: string | null = null;
  do {
    const page: { items: typeof tenants; nextToken: string | null } = await client.request('GET', `/v1.0/tenants?limit=100${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`);
    tenants.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  const active = tenants.filter((t) => t.instance?.provisioningState === 'ACTIVE');
  const failing: string[] = [];
  for (const t of active) {
    const answer = await edgeStatus(platform.edgePort, t.domainName).then(String, (err: Error) => err.message);
    if (!['200', '301', '302', '401'].includes(answer)) failing.push(`${t.tenantId} (${t.domainName}): ${answer}`);
  }
  if (failing.length === 0) return pass('tenant-routes', `${active.length} ACTIVE tenants answer through the edge on port ${platform.edgePort}`);
  return problem('tenant-routes', 'fail', `${failing.length} of ${active.length} do not answer: ${failing.slice(0, 5).join(', ')}`, 'bbws tenants get <id> (status, lastError); check component nginx and the tenant\'s php-fpm master; curl -sI -H "Host: <name>" http://127.0.0.1:<edge-port>/');
}
