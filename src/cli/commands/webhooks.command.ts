/**
 * `bbws webhooks add|list|remove|deliveries`: signed webhooks on the notifications topic
 * (site created / failed / deleted / promoted). See docs/webhooks.md.
 */
import type { Command } from 'commander';
import { NOTIFICATION_TYPES } from '../../ports/notifier.js';
import { CliError } from '../api-client.js';
import { printJson, printRecord, printTable } from '../output.js';
import { clientFor, type CommonOptions } from './common.js';

interface WebhookView {
  webhookId: string;
  url: string;
  types: string[];
  tenantId: string | null;
  publicOnly: boolean;
  createdAt: string;
}

const row = (w: WebhookView) => ({ ...w, types: w.types.length ? w.types.join(',') : 'all', tenantId: w.tenantId ?? 'all tenants', calls: w.publicOnly ? 'public only' : 'any address' });

/** Commander collects a repeated `--type` into a list. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerWebhookCommands(program: Command): void {
  const webhooks = program.command('webhooks').description('signed webhooks for site notifications (docs/webhooks.md)');

  webhooks.command('add <url>').description('subscribe a URL; prints its signing secret once')
    .option('--type <type>', `only this notification type (repeatable): ${NOTIFICATION_TYPES.join(', ')}; default all`, collect)
    .option('--tenant <tenantId>', "only this tenant's sites (default: every tenant)")
    .action(async (url: string, opts: CommonOptions & { type?: string[]; tenant?: string }) => {
      // Checked here too so a typo fails before anything is created, with the valid names listed.
      const unknown = (opts.type ?? []).filter((t) => !(NOTIFICATION_TYPES as readonly string[]).includes(t));
      if (unknown.length) throw new CliError(`Unknown --type ${unknown.join(', ')}; use one of ${NOTIFICATION_TYPES.join(', ')}.`);
      const body = { url, ...(opts.type?.length ? { types: [...new Set(opts.type)] } : {}), ...(opts.tenant ? { tenantId: opts.tenant } : {}) };
      const created = await (await clientFor(opts)).request<WebhookView & { secret: string }>('POST', '/v1.0/webhooks', body);
      if (opts.json) return printJson(created);
      printRecord({ ...row(created), secret: created.secret });
      process.stderr.write('\nStore the secret now: it is shown only once. Receivers verify X-BBWS-Signature with it (docs/webhooks.md).\n');
    });

  webhooks.command('list').description('list webhooks (secrets are never shown again)').action(async (opts: CommonOptions) => {
    const { items } = await (await clientFor(opts)).request<{ items: WebhookView[] }>('GET', '/v1.0/webhooks');
    if (opts.json) return printJson({ items });
    printTable(items.map(row), ['webhookId', 'tenantId', 'types', 'url', 'calls', 'createdAt']);
  });

  webhooks.command('remove <webhookId>').description('remove a webhook; its pending deliveries are not sent').action(async (webhookId: string, opts: CommonOptions) => {
    await (await clientFor(opts)).request('DELETE', `/v1.0/webhooks/${encodeURIComponent(webhookId)}`);
    if (opts.json) return printJson({ webhookId, removed: true });
    process.stdout.write(`removed webhook ${webhookId}\n`);
  });

  webhooks.command('deliveries').description('the delivery log, newest first')
    .option('--webhook <webhookId>', 'only this webhook')
    .option('--limit <n>', 'how many (1-100)', '25')
    .action(async (opts: CommonOptions & { webhook?: string; limit: string }) => {
      const path = opts.webhook ? `/v1.0/webhooks/${encodeURIComponent(opts.webhook)}/deliveries` : '/v1.0/webhooks/deliveries';
      const { items } = await (await clientFor(opts)).request<{ items: Record<string, unknown>[] }>('GET', `${path}?limit=${encodeURIComponent(opts.limit)}`);
      if (opts.json) return printJson({ items });
      printTable(items, ['deliveryId', 'webhookId', 'type', 'status', 'attempt', 'statusCode', 'error', 'updatedAt']);
    });
}
