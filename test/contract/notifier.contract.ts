/**
 * The contract of the Notifier and WebhookSubscriptions ports (src/ports/notifier.ts,
 * src/ports/webhook-subscriptions.ts), with a real HTTP receiver on an ephemeral port:
 * subscriptions validated and scoped, secrets shown once, a published notification delivered to
 * every matching subscriber and to no other, once per notification id however often it is
 * published. Run it from `notifier.<adapter>.test.ts` with a factory that builds a fresh,
 * isolated pair per test.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/domain/notification.js';
import type { Notifier } from '../../src/ports/notifier.js';
import type { WebhookSubscriptions } from '../../src/ports/webhook-subscriptions.js';
import { expectBbwsError } from '../support/expect-error.js';
import { pollUntil } from '../support/poll.js';

export type MakeNotifier = () => Promise<{ notifier: Notifier; webhooks: WebhookSubscriptions; cleanup: () => Promise<void> }>;

interface Receiver {
  url: string;
  payloads: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const payloads: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      payloads.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    payloads,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let counter = 0;
const notification = (overrides: Partial<Notification> = {}): Notification => ({
  notificationId: `n-${process.pid}-${++counter}`,
  type: 'site.created',
  tenantId: 'acme',
  siteId: 'aaaaaaaaaa',
  data: { operationId: 'op-1' },
  occurredAt: '2030-01-01T00:00:00.000Z',
  ...overrides,
});

export function describeNotifierContract(name: string, makeNotifier: MakeNotifier): void {
  describe(`Notifier and WebhookSubscriptions contract: ${name}`, () => {
    let ctx: Awaited<ReturnType<MakeNotifier>> | undefined;
    let receiver: Receiver;
    const w = () => ctx!.webhooks;
    const n = () => ctx!.notifier;
    beforeEach(async () => {
      receiver = await startReceiver();
      ctx = await makeNotifier();
    });
    afterEach(async () => {
      const current = ctx;
      ctx = undefined;
      await current?.cleanup();
      await receiver.close();
    });

    it('shows the signing secret once, and never lists it', async () => {
      const added = await w().addWebhook({ url: receiver.url, tenantId: 'acme' });
      expect(added.secret.length).toBeGreaterThanOrEqual(32);
      const listed = await w().listWebhooks();
      expect(listed).toEqual([{ webhookId: added.webhookId, url: receiver.url, types: [], tenantId: 'acme', publicOnly: false, createdAt: added.createdAt }]);
      expect(JSON.stringify(listed)).not.toContain(added.secret);
    });

    it('validates subscriptions with the domain rules', async () => {
      await expectBbwsError(w().addWebhook({ url: 'ftp://example.com/x' }), 'VALIDATION_FAILED', 'url');
      await expectBbwsError(w().addWebhook({ url: 'https://user:pw@example.com/x' }), 'VALIDATION_FAILED', 'url');
      await expectBbwsError(w().addWebhook({ url: 'not a url' }), 'VALIDATION_FAILED', 'url');
      await expectBbwsError(w().addWebhook({ url: receiver.url, types: ['site.exploded' as never] }), 'VALIDATION_FAILED', 'types');
      await expectBbwsError(w().addWebhook({ url: 'http://127.0.0.1:9/x', publicOnly: true }), 'VALIDATION_FAILED', 'url');
      expect(await w().listWebhooks()).toEqual([]);
    });

    it('lists all, operator-only or one tenant’s webhooks, and removes them', async () => {
      const operator = await w().addWebhook({ url: receiver.url });
      const acme = await w().addWebhook({ url: receiver.url, tenantId: 'acme', types: ['site.created', 'site.created'] });
      await w().addWebhook({ url: receiver.url, tenantId: 'beta' });
      expect(acme.types).toEqual(['site.created']);
      expect((await w().listWebhooks()).length).toBe(3);
      expect((await w().listWebhooks(null)).map((x) => x.webhookId)).toEqual([operator.webhookId]);
      expect((await w().listWebhooks('acme')).map((x) => x.webhookId)).toEqual([acme.webhookId]);
      await w().removeWebhook(acme.webhookId);
      expect(await w().listWebhooks('acme')).toEqual([]);
      await expectBbwsError(w().removeWebhook(acme.webhookId), 'WEBHOOK_NOT_FOUND');
    });

    it('delivers to every matching subscriber and to no other', async () => {
      const all = await w().addWebhook({ url: `${receiver.url}?all` });
      const acmeCreated = await w().addWebhook({ url: `${receiver.url}?acme`, tenantId: 'acme', types: ['site.created'] });
      await w().addWebhook({ url: `${receiver.url}?beta`, tenantId: 'beta' });
      await w().addWebhook({ url: `${receiver.url}?deleted`, tenantId: 'acme', types: ['site.deleted'] });
      const sent = notification();
      await n().publish(sent);
      await pollUntil('two deliveries', async () => receiver.payloads.length >= 2, 10_000);
      expect(receiver.payloads.map((p) => [p.id, p.type, p.tenantId, p.siteId])).toEqual([
        [sent.notificationId, 'site.created', 'acme', 'aaaaaaaaaa'],
        [sent.notificationId, 'site.created', 'acme', 'aaaaaaaaaa'],
      ]);
      await pollUntil('both delivered', async () => (await w().listDeliveries({ limit: 10 })).filter((d) => d.status === 'DELIVERED').length === 2, 10_000);
      expect((await w().listDeliveries({ limit: 10 })).map((d) => d.webhookId).sort()).toEqual([all.webhookId, acmeCreated.webhookId].sort());
    });

    it('delivers a notification once however often it is published', async () => {
      const hook = await w().addWebhook({ url: receiver.url });
      const sent = notification();
      await n().publish(sent);
      await n().publish(sent);
      await n().publish({ ...sent });
      await pollUntil('a delivery', async () => (await w().listDeliveries({ webhookId: hook.webhookId, limit: 10 }))[0]?.status === 'DELIVERED', 10_000);
      await n().publish(sent);
      expect(await w().listDeliveries({ webhookId: hook.webhookId, limit: 10 })).toHaveLength(1);
      expect(receiver.payloads).toHaveLength(1);
    });

    it('refuses an unknown type, a notification without id and a bad limit', async () => {
      await expectBbwsError(n().publish(notification({ type: 'site.exploded' as never })), 'VALIDATION_FAILED');
      await expectBbwsError(n().publish(notification({ notificationId: '' })), 'VALIDATION_FAILED');
      await expectBbwsError(w().listDeliveries({ limit: 0 }), 'VALIDATION_FAILED');
    });
  });
}
