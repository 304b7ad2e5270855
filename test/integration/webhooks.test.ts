/**
 * The webhook notifier against a real SQLite file and real HTTP receivers on ephemeral ports. The
 * receiver verifies signatures the way docs/webhooks.md tells customers to (its own HMAC code,
 * not the adapter's), so a change that breaks receivers fails here.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPrometheusMetrics } from '../../src/adapters/metrics/prometheus.js';
import { createWebhookNotifier, type WebhookNotifierOptions } from '../../src/adapters/notifier/webhooks.js';
import { retryDelayMs } from '../../src/adapters/notifier/webhook-signing.js';
import { validateWebhookUrl } from '../../src/domain/webhook.js';
import { createLocalSecrets } from '../../src/adapters/secrets/local.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import type { Notification, Notifier } from '../../src/ports/notifier.js';
import type { WebhookDelivery, WebhookSubscriptions } from '../../src/ports/webhook-subscriptions.js';
import { silentLogger } from '../support/local-runtime-harness.js';
import { pollUntil } from '../support/poll.js';

const TOPIC = 'bbws-wp-notifications-dev';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  payload: Record<string, unknown>;
  /** Result of the receiver-side check documented in docs/webhooks.md. */
  signatureValid: boolean;
  at: number;
}

interface Receiver {
  url: string;
  requests: Received[];
  /** Which status (or 'hang') to answer request n (0-based); default 200. */
  respond: (n: number) => number | 'hang';
  secret: string;
}

/** The receiver-side check, written from the docs: HMAC of "<timestamp>.<raw body>", constant-time compare, 5-minute window. */
function verify(secret: string, headers: IncomingHttpHeaders, rawBody: string): boolean {
  const timestamp = String(headers['x-bbws-timestamp'] ?? '');
  const signature = String(headers['x-bbws-signature'] ?? '');
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function startReceiver(respond: Receiver['respond'] = () => 200): Promise<Receiver> {
  const receiver: Receiver = { url: '', requests: [], respond, secret: '' };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const n = receiver.requests.length;
      receiver.requests.push({ headers: req.headers, body, payload: JSON.parse(body) as Record<string, unknown>, signatureValid: verify(receiver.secret, req.headers, body), at: Date.now() });
      const answer = receiver.respond(n);
      if (answer === 'hang') return; // never answers; closeAllConnections() ends it
      res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/bbws`;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return receiver;
}

function tempDb(): { db: SqliteDatabase; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-webhooks-'));
  const db = openSqliteDatabase(join(dir, 'bbws.db'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => db.close());
  return { db, dir };
}

function notifierOn(db: SqliteDatabase, extra: Partial<WebhookNotifierOptions> = {}): Notifier & WebhookSubscriptions {
  const notifier = createWebhookNotifier({
    db,
    logger: silentLogger(),
    metrics: createPrometheusMetrics({ defaultMetrics: false }),
    topic: TOPIC,
    retry: { baseMs: 20, maxAttempts: 6 },
    pollIntervalMs: 50,
    ...extra,
  });
  cleanups.push(() => notifier.close());
  return notifier;
}

const event = (overrides: Partial<Notification> = {}): Notification => ({
  notificationId: randomUUID(),
  type: 'site.created',
  tenantId: 'acme',
  siteId: 'abc1234567',
  data: { siteName: 'blog', hostnames: ['blog.acme.example'] },
  occurredAt: '2030-01-01T00:00:00.000Z',
  ...overrides,
});

/** Polls the delivery log until `predicate` holds for one of the webhook's deliveries (tests wait on state, not on sleeps). */
async function waitForDelivery(notifier: WebhookSubscriptions, webhookId: string, predicate: (d: WebhookDelivery) => boolean, timeoutMs = 5_000): Promise<WebhookDelivery> {
  let deliveries: WebhookDelivery[] = [];
  try {
    return await pollUntil('a matching delivery', async () => (deliveries = await notifier.listDeliveries({ webhookId, limit: 100 })).find(predicate), timeoutMs, 10);
  } catch {
    throw new Error(`no delivery matched; log: ${JSON.stringify(deliveries)}`);
  }
}

describe('webhook notifier', () => {
  it('delivers a signed payload with the documented headers', async () => {
    const { db } = tempDb();
    const receiver = await startReceiver();
    const notifier = notifierOn(db);
    const hook = await notifier.addWebhook({ url: receiver.url });
    receiver.secret = hook.secret;
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    await notifier.publish(event());
    const delivery = await waitForDelivery(notifier, hook.webhookId, (d) => d.status === 'DELIVERED');

    expect(delivery).toMatchObject({ attempt: 1, statusCode: 200, error: null, type: 'site.created' });
    expect(receiver.requests).toHaveLength(1);
    const [got] = receiver.requests;
    expect(got.signatureValid).toBe(true);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-bbws-event']).toBe('site.created');
    expect(got.headers['x-bbws-delivery']).toBe(delivery.deliveryId);
    expect(got.payload).toEqual({ id: expect.any(String), type: 'site.created', topic: TOPIC, tenantId: 'acme', siteId: 'abc1234567', data: event().data, occurredAt: event().occurredAt });
    // Another secret does not verify: the check above is not vacuous.
    expect(verify('whsec_other', got.headers, got.body)).toBe(false);
    expect(verify(hook.secret, got.headers, got.body.replace('blog', 'blag'))).toBe(false);
    // The secret is shown once: listings never carry it.
    expect(JSON.stringify(await notifier.listWebhooks())).not.toContain(hook.secret);
  });

  it('retries with backoff and delivers at attempt 3 when the receiver fails twice', async () => {
    const { db } = tempDb();
    const receiver = await startReceiver((n) => (n < 2 ? 503 : 200));
    const notifier = notifierOn(db);
    const hook = await notifier.addWebhook({ url: receiver.url, types: ['site.created'] });
    receiver.secret = hook.secret;

    await notifier.publish(event());
    const delivery = await waitForDelivery(notifier, hook.webhookId, (d) => d.status === 'DELIVERED');

    expect(delivery).toMatchObject({ attempt: 3, statusCode: 200, error: null });
    expect(receiver.requests.map((r) => r.signatureValid)).toEqual([true, true, true]);
    // Same delivery id and identical body on every retry, so receivers can deduplicate.
    expect(new Set(receiver.requests.map((r) => r.headers['x-bbws-delivery'])).size).toBe(1);
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
    // Waits of ~20 ms then ~40 ms (±20 %): exponential, not immediate.
    const [a, b, c] = receiver.requests.map((r) => r.at);
    expect(b - a).toBeGreaterThanOrEqual(15);
    expect(c - b).toBeGreaterThanOrEqual(30);
    const attempts = db.prepare('SELECT attempt, status_code, error FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt').all(delivery.deliveryId);
    expect(attempts).toEqual([
      { attempt: 1, status_code: 503, error: 'HTTP 503' },
      { attempt: 2, status_code: 503, error: 'HTTP 503' },
      { attempt: 3, status_code: 200, error: null },
    ]);
  });

  it('marks a delivery FAILED after maxAttempts', async () => {
    const { db } = tempDb();
    const receiver = await startReceiver(() => 500);
    const notifier = notifierOn(db, { retry: { baseMs: 5, maxAttempts: 4 } });
    const hook = await notifier.addWebhook({ url: receiver.url });
    receiver.secret = hook.secret;

    await notifier.publish(event({ type: 'site.failed' }));
    const delivery = await waitForDelivery(notifier, hook.webhookId, (d) => d.status === 'FAILED');

    expect(delivery).toMatchObject({ attempt: 4, statusCode: 500, error: 'HTTP 500', type: 'site.failed' });
    // No fifth request after FAILED.
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.requests).toHaveLength(4);
  });

  it('records connection failures and does not follow redirects', async () => {
    const { db } = tempDb();
    const redirecting = await startReceiver(() => 302);
    const notifier = notifierOn(db, { retry: { baseMs: 5, maxAttempts: 1 } });
    const closed = await startReceiver();
    const refusedUrl = closed.url;
    await cleanups.pop()!(); // close that server now: its port refuses connections
    const refused = await notifier.addWebhook({ url: refusedUrl });
    const redirect = await notifier.addWebhook({ url: redirecting.url });
    redirecting.secret = redirect.secret;

    await notifier.publish(event());
    expect(await waitForDelivery(notifier, refused.webhookId, (d) => d.status === 'FAILED')).toMatchObject({ statusCode: null, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(await waitForDelivery(notifier, redirect.webhookId, (d) => d.status === 'FAILED')).toMatchObject({ statusCode: 302, error: 'HTTP 302 (redirects are not followed)' });
  });

  it("calls only public addresses for a tenant's webhook: a name that resolves to loopback is refused at delivery, FAILED at once", async () => {
    const { db } = tempDb();
    const receiver = await startReceiver();
    const notifier = notifierOn(db, { retry: { baseMs: 5, maxAttempts: 5 } });
    const port = new URL(receiver.url).port;
    await expect(notifier.addWebhook({ url: receiver.url, tenantId: 'acme', publicOnly: true })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(notifier.addWebhook({ url: `http://localhost:${port}/x`, tenantId: 'acme', publicOnly: true })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await notifier.listWebhooks('acme')).toEqual([]);

    // A host name checked only at delivery (as after DNS rebinding, or a tenant webhook from before
    // the limit, which the migration limited): "localhost" stands for a name that resolves to 127.0.0.1.
    const hook = await notifier.addWebhook({ url: `http://localhost:${port}/hooks/bbws`, tenantId: 'acme' });
    db.prepare('UPDATE webhooks SET public_only = 1 WHERE webhook_id = ?').run(hook.webhookId);
    expect((await notifier.listWebhooks('acme'))[0]).toMatchObject({ publicOnly: true });
    await notifier.publish(event());
    const failed = await waitForDelivery(notifier, hook.webhookId, (d) => d.status === 'FAILED');
    expect(failed).toMatchObject({ attempt: 1, statusCode: null, error: expect.stringMatching(/not a public address/) });
    expect(receiver.requests).toHaveLength(0);

    // The same receiver through an operator's webhook: delivered.
    const operators = await notifier.addWebhook({ url: receiver.url });
    receiver.secret = operators.secret;
    await notifier.publish(event());
    await waitForDelivery(notifier, operators.webhookId, (d) => d.status === 'DELIVERED');
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.signatureValid).toBe(true);
  });

  it('filters by type and by tenant', async () => {
    const { db } = tempDb();
    const receiver = await startReceiver();
    const notifier = notifierOn(db);
    const acmeDeletes = await notifier.addWebhook({ url: `${receiver.url}?who=acme-deleted`, types: ['site.deleted'], tenantId: 'acme' });
    const acmeAll = await notifier.addWebhook({ url: `${receiver.url}?who=acme-all`, tenantId: 'acme' });
    const globex = await notifier.addWebhook({ url: `${receiver.url}?who=globex`, tenantId: 'globex' });
    const operator = await notifier.addWebhook({ url: `${receiver.url}?who=operator`, types: ['site.created', 'site.promoted'] });

    await notifier.publish(event({ type: 'site.created', tenantId: 'acme' }));
    await notifier.publish(event({ type: 'site.deleted', tenantId: 'acme' }));
    await notifier.publish(event({ type: 'site.promoted', tenantId: 'globex' }));
    await waitForDelivery(notifier, operator.webhookId, (d) => d.status === 'DELIVERED' && d.type === 'site.promoted');
    await waitForDelivery(notifier, globex.webhookId, (d) => d.status === 'DELIVERED');
    await waitForDelivery(notifier, acmeDeletes.webhookId, (d) => d.status === 'DELIVERED');

    const typesOf = async (webhookId: string) => (await notifier.listDeliveries({ webhookId, limit: 10 })).map((d) => d.type).sort();
    expect(await typesOf(acmeDeletes.webhookId)).toEqual(['site.deleted']);
    expect(await typesOf(acmeAll.webhookId)).toEqual(['site.created', 'site.deleted']);
    expect(await typesOf(globex.webhookId)).toEqual(['site.promoted']);
    expect(await typesOf(operator.webhookId)).toEqual(['site.created', 'site.promoted']);
    expect((await notifier.listWebhooks('acme')).map((w) => w.webhookId).sort()).toEqual([acmeDeletes.webhookId, acmeAll.webhookId].sort());
    expect((await notifier.listWebhooks(null)).map((w) => w.webhookId)).toEqual([operator.webhookId]);
  });

  it('resumes a PENDING delivery after a restart on the same database', async () => {
    const { db } = tempDb();
    let up = false;
    const receiver = await startReceiver(() => (up ? 200 : 503));
    const retry = { baseMs: 300, maxAttempts: 6 };
    const first = createWebhookNotifier({ db, logger: silentLogger(), metrics: createPrometheusMetrics({ defaultMetrics: false }), topic: TOPIC, retry, pollIntervalMs: 50 });
    const hook = await first.addWebhook({ url: receiver.url });
    receiver.secret = hook.secret;
    await first.publish(event({ type: 'site.promoted' }));
    await waitForDelivery(first, hook.webhookId, (d) => d.attempt === 1 && d.status === 'PENDING' && d.statusCode === 503);
    await first.close(); // mid-retry: the next attempt is ~300 ms away

    up = true;
    const second = notifierOn(db, { retry });
    const delivery = await waitForDelivery(second, hook.webhookId, (d) => d.status === 'DELIVERED');
    expect(delivery).toMatchObject({ attempt: 2, statusCode: 200 });
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1].signatureValid).toBe(true);
  });

  it('never lets a slow receiver block publish, and times the attempt out', async () => {
    const { db } = tempDb();
    const receiver = await startReceiver(() => 'hang');
    const notifier = notifierOn(db, { timeoutMs: 1_000, retry: { baseMs: 10, maxAttempts: 1 } });
    const hook = await notifier.addWebhook({ url: receiver.url });

    const started = performance.now();
    await notifier.publish(event());
    await notifier.publish(event({ type: 'site.deleted' }));
    // Both returned well before the first attempt's 1 s timeout: nothing waited on the receiver.
    expect(performance.now() - started).toBeLessThan(500);
    expect(receiver.requests.length).toBeLessThanOrEqual(2);

    const delivery = await waitForDelivery(notifier, hook.webhookId, (d) => d.status === 'FAILED' && d.type === 'site.deleted');
    expect(delivery.error).toBe('no response within 1000 ms');
  });

  it('close() aborts attempts that outlast its bound and gives them back for the next start', async () => {
    const { db } = tempDb();
    const receiver = await startReceiver((n) => (n === 0 ? 'hang' : 200));
    const first = createWebhookNotifier({ db, logger: silentLogger(), metrics: createPrometheusMetrics({ defaultMetrics: false }), topic: TOPIC, timeoutMs: 10_000, closeTimeoutMs: 50 });
    const hook = await first.addWebhook({ url: receiver.url });
    receiver.secret = hook.secret;
    await first.publish(event());
    await pollUntil('the first attempt to reach the receiver', async () => receiver.requests.length > 0, 5_000, 5);

    const closing = performance.now();
    await first.close();
    expect(performance.now() - closing).toBeLessThan(1_000);
    expect((await first.listDeliveries({ webhookId: hook.webhookId, limit: 1 }))[0]).toMatchObject({ status: 'PENDING', attempt: 0 });

    const second = notifierOn(db);
    expect(await waitForDelivery(second, hook.webhookId, (d) => d.status === 'DELIVERED')).toMatchObject({ attempt: 1 });
  });

  it('keeps signing secrets in the Secrets port when given one, and removes them with the webhook', async () => {
    const { db, dir } = tempDb();
    const secrets = createLocalSecrets({ dir: join(dir, 'secrets') });
    const receiver = await startReceiver();
    const notifier = notifierOn(db, { secrets });
    const hook = await notifier.addWebhook({ url: receiver.url });
    receiver.secret = hook.secret;

    expect(await secrets.get(`webhook-${hook.webhookId}`)).toBe(hook.secret);
    expect(db.prepare('SELECT secret FROM webhooks WHERE webhook_id = ?').pluck().get(hook.webhookId)).toBeNull();
    await notifier.publish(event());
    await waitForDelivery(notifier, hook.webhookId, (d) => d.status === 'DELIVERED');
    expect(receiver.requests[0].signatureValid).toBe(true);

    await notifier.removeWebhook(hook.webhookId);
    expect(await secrets.get(`webhook-${hook.webhookId}`)).toBeUndefined();
    expect(await notifier.listWebhooks()).toEqual([]);
    await expect(notifier.removeWebhook(hook.webhookId)).rejects.toMatchObject({ code: 'WEBHOOK_NOT_FOUND' });
  });

  it('rejects bad webhook input with VALIDATION_FAILED and stores nothing', async () => {
    const { db } = tempDb();
    const notifier = notifierOn(db);
    for (const url of ['ftp://example.com/x', 'https://user:pw@example.com/', 'not a url', `https://example.com/${'a'.repeat(2048)}`, '']) {
      await expect(notifier.addWebhook({ url }), url).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    await expect(notifier.addWebhook({ url: 'https://example.com/', types: ['site.exploded' as never] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(notifier.addWebhook({ url: 'https://example.com/', tenantId: '../etc' })).rejects.toMatchObject({ code: 'INVALID_TENANT_ID' });
    expect(await notifier.listWebhooks()).toEqual([]);
    expect(validateWebhookUrl('https://hooks.example.com/bbws?token=abc').hostname).toBe('hooks.example.com');
  });

  it('backs off exponentially with bounded jitter and a cap', () => {
    const policy = { baseMs: 1_000, maxAttempts: 6, maxDelayMs: 10_000 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, policy, () => 0.5))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000]);
    expect(retryDelayMs(1, policy, () => 0)).toBe(800);
    expect(retryDelayMs(1, policy, () => 1)).toBe(1_200);
  });
});
