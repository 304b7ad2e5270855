/**
 * Operator procedures of seeds 000 and 004: `operations get`, `queues stats`,
 * `dlq list|redrive|purge`, `events send`; and `edge basic-auth` (seed 003's basic auth).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../api-client.js';
import { printJson, printRecord, printTable } from '../output.js';
import { clientFor, type CommonOptions } from './common.js';
import { waitForOperation } from './wait-operation.js';

interface OperationView {
  operationId: string;
  type: string;
  status: string;
  tenantId: string;
  error: string | null;
  steps: { name: string; status: string; startedAt: string; durationMs: number | null; error: string | null }[];
}

export function registerAdminCommands(program: Command): void {
  const operations = program.command('operations').description('asynchronous operations');
  operations.command('get <operationId>').description('show an operation and its steps')
    .option('--wait', 'follow it until it finishes')
    .action(async (id: string, opts: CommonOptions & { wait?: boolean }) => {
      const client = await clientFor(opts);
      if (opts.wait) await waitForOperation(client, id).catch((err) => (opts.json ? undefined : Promise.reject(err)));
      const op = await client.request<OperationView>('GET', `/v1.0/operations/${encodeURIComponent(id)}`);
      if (opts.json) return printJson(op);
      printRecord({ operationId: op.operationId, type: op.type, status: op.status, tenant: op.tenantId, error: op.error });
      process.stdout.write('\n');
      printTable(op.steps, ['name', 'status', 'startedAt', 'durationMs', 'error']);
    });

  operations.command('retry <operationId>').description('run a FAILED operation again')
    .option('--wait', 'follow the new operation until it finishes')
    .action(async (id: string, opts: CommonOptions & { wait?: boolean }) => {
      const client = await clientFor(opts);
      const result = await client.request<{ operationId: string }>('POST', `/v1.0/operations/${encodeURIComponent(id)}/retry`);
      if (opts.wait) await waitForOperation(client, result.operationId);
      if (opts.json) return printJson(result);
      printRecord({ ...result, next: `bbws operations get ${result.operationId}` });
    });

  operations.command('open').description('operations not finished yet, oldest first (seed 000 §4.5 "stuck operations")').action(async (opts: CommonOptions) => {
    const { items } = await (await clientFor(opts)).request<{ items: Record<string, unknown>[] }>('GET', '/v1.0/admin/operations/open');
    if (opts.json) return printJson({ items });
    printTable(items, ['operationId', 'tenantId', 'type', 'status', 'currentStep', 'ageSeconds', 'pastDeadline']);
  });

  const queues = program.command('queues').description('queue depth and age (seed 000 §5)');
  queues.command('stats').description('visible, in-flight, delayed messages and age of the oldest, per queue').action(async (opts: CommonOptions) => {
    const { items } = await (await clientFor(opts)).request<{ items: Record<string, unknown>[] }>('GET', '/v1.0/admin/queues');
    if (opts.json) return printJson({ items });
    printTable(items, ['queue', 'visible', 'notVisible', 'delayed', 'oldestAgeSeconds', 'deadLetterQueue']);
  });

  const dlq = program.command('dlq').description('dead-letter queues: inspect, redrive, purge (seeds 000 §5.2-5.4, 004 §10)');
  dlq.command('list <queue>').description('show messages without consuming them')
    .option('--limit <n>', 'how many (1-100)', '10')
    .action(async (queue: string, opts: CommonOptions & { limit: string }) => {
      const { items } = await (await clientFor(opts)).request<{ items: Record<string, unknown>[] }>(
        'GET',
        `/v1.0/admin/queues/${encodeURIComponent(queue)}/messages?limit=${encodeURIComponent(opts.limit)}`,
      );
      if (opts.json) return printJson({ items });
      printTable(
        items.map((m) => ({ ...m, body: String(m.body).length > 80 ? `${String(m.body).slice(0, 77)}...` : m.body })),
        ['messageId', 'receiveCount', 'sentAt', 'sourceQueue', 'body'],
      );
    });
  dlq.command('redrive <queue>').description('move every message back to its source queue (after fixing the cause)').action(async (queue: string, opts: CommonOptions) => {
    const result = await (await clientFor(opts)).request<{ moved: number }>('POST', `/v1.0/admin/queues/${encodeURIComponent(queue)}/redrive`);
    if (opts.json) return printJson(result);
    process.stdout.write(`moved ${result.moved} messages from ${queue} back to their source queue\n`);
  });
  dlq.command('purge <queue>').description('delete every message (emergency only)')
    .option('--yes', 'confirm: this deletes messages for good')
    .action(async (queue: string, opts: CommonOptions & { yes?: boolean }) => {
      if (!opts.yes) throw new CliError(`This deletes every message in ${queue} for good. Inspect first with \`bbws dlq list ${queue}\`, then repeat with --yes.`);
      const result = await (await clientFor(opts)).request<{ purged: number }>('POST', `/v1.0/admin/queues/${encodeURIComponent(queue)}/purge`);
      if (opts.json) return printJson(result);
      process.stdout.write(`purged ${result.purged} messages from ${queue}\n`);
    });

  const events = program.command('events').description('ECS events (seed 004)');
  events.command('send <file>').description('post an EventBridge ECS event (JSON file, or - for stdin) to the event handler').action(async (file: string, opts: CommonOptions) => {
    let event: unknown;
    try {
      event = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
    } catch (err) {
      throw new CliError(`Cannot read an event from ${file}: ${(err as Error).message}`);
    }
    const list = Array.isArray(event) ? event : [event];
    const client = await clientFor(opts);
    const results = [];
    for (const e of list) results.push(await client.request<Record<string, unknown>>('POST', '/v1.0/events/ecs', e));
    if (opts.json) return printJson(Array.isArray(event) ? results : results[0]);
    printTable(results, ['status', 'reason', 'tenantId', 'provisioningState']);
  });

  const edge = program.command('edge').description('the edge (nginx) in front of every tenant');
  edge.command('basic-auth').description("the user and password the SIT/PROD edge asks visitors for (platform-admin; every read is recorded)").action(async (opts: CommonOptions) => {
    const auth = await (await clientFor(opts)).request<{ environment: string; enabled: boolean; user: string | null; password: string | null }>('GET', '/v1.0/admin/edge/basic-auth');
    if (opts.json) return printJson(auth);
    if (!auth.enabled) return void process.stdout.write(`The ${auth.environment} edge asks for no basic auth (only sit and prod do).\n`);
    printRecord({ environment: auth.environment, user: auth.user, password: auth.password });
    process.stdout.write(`\nUse it as: curl -u '${auth.user}:<password>' http://<tenant host>/  (this read was recorded in the audit log)\n`);
  });
}
