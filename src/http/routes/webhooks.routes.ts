/**
 * /v1.0/webhooks: subscribe an endpoint to the notifications topic (site created / failed /
 * deleted / promoted), list and remove subscriptions, read the delivery log. A platform-admin
 * manages every webhook, including operator webhooks that receive all tenants' events; a
 * tenant-admin sees and manages only its own tenant's, and anything else answers 404.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { assertTenantAccess, type Principal } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import { NOTIFICATION_TYPES } from '../../domain/notification.js';
import type { WebhookDelivery, WebhookSubscription } from '../../ports/webhook-subscriptions.js';
import { assertNotOwnApi, validateWebhookUrl } from '../../domain/webhook.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { ErrorBody } from '../schemas.js';
import { parseLimit } from '../params.js';

const strict = { additionalProperties: false } as const;
const NotificationTypeSchema = Type.Union(NOTIFICATION_TYPES.map((t) => Type.Literal(t)));

const CreateWebhookBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL without credentials; called with POST.' }),
    types: Type.Optional(Type.Array(NotificationTypeSchema, { uniqueItems: true, maxItems: NOTIFICATION_TYPES.length, description: 'Omitted or empty: every type.' })),
    tenantId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()], { description: "null: every tenant (platform-admin only). A tenant-admin's webhook is always its own tenant's." })),
  },
  strict,
);
type CreateWebhookBody = Static<typeof CreateWebhookBody>;

const WebhookView = Type.Object({
  webhookId: Type.String(),
  url: Type.String(),
  types: Type.Array(NotificationTypeSchema),
  tenantId: Type.Union([Type.String(), Type.Null()]),
  publicOnly: Type.Boolean({ description: 'Only public addresses are called (webhooks added by a tenant-admin).' }),
  createdAt: Type.String(),
});
const CreatedWebhook = Type.Object({ ...WebhookView.properties, secret: Type.String({ description: 'Signing secret. Shown only in this answer: store it now.' }) });
const WebhookList = Type.Object({ items: Type.Array(WebhookView) });
const DeliveryList = Type.Object({
  items: Type.Array(
    Type.Object({
      deliveryId: Type.String(),
      webhookId: Type.String(),
      type: NotificationTypeSchema,
      attempt: Type.Integer(),
      status: Type.String({ enum: ['PENDING', 'DELIVERED', 'FAILED'] }),
      statusCode: Type.Union([Type.Integer(), Type.Null()]),
      error: Type.Union([Type.String(), Type.Null()]),
      createdAt: Type.String(),
      updatedAt: Type.String(),
    }),
  ),
});
const WebhookIdParams = Type.Object({ webhookId: Type.String({ minLength: 1, maxLength: 64 }) }, strict);
const LimitQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1-100, default 25' })) }, strict);

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const view = ({ webhookId, url, types, tenantId, publicOnly, createdAt }: WebhookSubscription) => ({ webhookId, url, types, tenantId, publicOnly, createdAt });

export function registerWebhookRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { webhooks } = deps;

  /** The webhooks this principal may see: all for a platform-admin, its tenant's for a tenant-admin. */
  const visibleWebhooks = (principal: Principal) => webhooks.listWebhooks(principal.role === 'platform-admin' ? undefined : principal.tenantId);

  /** 404 for a webhook that does not exist and for another tenant's, so existence does not leak. */
  async function findVisibleWebhook(principal: Principal, webhookId: string): Promise<WebhookSubscription> {
    const webhook = (await visibleWebhooks(principal)).find((w) => w.webhookId === webhookId);
    if (!webhook) throw new BbwsError('WEBHOOK_NOT_FOUND', undefined, { webhookId });
    return webhook;
  }

  app.post<{ Body: CreateWebhookBody }>(
    '/v1.0/webhooks',
    { schema: { tags: ['webhooks'], summary: 'Subscribe a URL to site notifications; the signing secret is shown once', body: CreateWebhookBody, response: { 201: CreatedWebhook, ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      // The answer carries the secret, and Idempotency-Key would keep a copy of it for 24 h.
      if (request.headers['idempotency-key'] !== undefined) {
        throw new BbwsError('VALIDATION_FAILED', 'Idempotency-Key is not accepted here: the answer carries a secret that must not be stored. List webhooks to check whether a retry is needed.', { field: 'Idempotency-Key' });
      }
      const url = validateWebhookUrl(request.body.url);
      let tenantId: string | null;
      if (principal.role === 'platform-admin') {
        tenantId = request.body.tenantId ?? null;
        if (tenantId !== null && !(await deps.store.getTenant(tenantId))) throw new BbwsError('TENANT_NOT_FOUND', undefined, { tenantId });
      } else {
        if (request.body.tenantId === null) throw new BbwsError('FORBIDDEN', 'Only a platform-admin may add a webhook for every tenant.');
        if (request.body.tenantId !== undefined) assertTenantAccess(principal, request.body.tenantId);
        tenantId = principal.tenantId;
        const apiPort = request.socket?.localPort;
        if (apiPort) assertNotOwnApi(url, apiPort, request.hostname);
      }
      // A tenant-admin's webhook may only call public addresses (SSRF); an operator's may call anything.
      const created = await webhooks.addWebhook({ url: request.body.url, types: request.body.types, tenantId, publicOnly: principal.role !== 'platform-admin' });
      deps.logger.info({ action: 'WEBHOOK_ADD', correlationId: request.id, webhookId: created.webhookId, tenantId, status: 'OK' }, `webhook ${created.webhookId} added`);
      return reply.code(201).header('location', `/v1.0/webhooks/${created.webhookId}`).send({ ...view(created), secret: created.secret });
    },
  );

  app.get(
    '/v1.0/webhooks',
    { schema: { tags: ['webhooks'], summary: 'List webhooks (never their secrets)', response: { 200: WebhookList, ...errors } } },
    async (request) => ({ items: (await visibleWebhooks(principalOf(request))).map(view) }),
  );

  app.get<{ Querystring: { limit?: string } }>(
    '/v1.0/webhooks/deliveries',
    { schema: { tags: ['webhooks'], summary: 'Recent deliveries of every visible webhook, newest first', querystring: LimitQuery, response: { 200: DeliveryList, ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      const limit = parseLimit(request.query.limit);
      if (principal.role === 'platform-admin') return { items: await webhooks.listDeliveries({ limit }) };
      // A tenant has a handful of webhooks: merging their logs is cheaper than a tenant column in the port.
      const perWebhook = await Promise.all((await visibleWebhooks(principal)).map((w) => webhooks.listDeliveries({ webhookId: w.webhookId, limit })));
      const items: WebhookDelivery[] = perWebhook.flat().sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.deliveryId.localeCompare(a.deliveryId));
      return { items: items.slice(0, limit) };
    },
  );

  app.get<{ Params: { webhookId: string }; Querystring: { limit?: string } }>(
    '/v1.0/webhooks/:webhookId/deliveries',
    { schema: { tags: ['webhooks'], summary: 'Recent deliveries of one webhook, newest first', params: WebhookIdParams, querystring: LimitQuery, response: { 200: DeliveryList, ...errors } } },
    async (request) => {
      const webhook = await findVisibleWebhook(principalOf(request), request.params.webhookId);
      return { items: await webhooks.listDeliveries({ webhookId: webhook.webhookId, limit: parseLimit(request.query.limit) }) };
    },
  );

  app.delete<{ Params: { webhookId: string } }>(
    '/v1.0/webhooks/:webhookId',
    { schema: { tags: ['webhooks'], summary: 'Remove a webhook; its pending deliveries end as FAILED', params: WebhookIdParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      const webhook = await findVisibleWebhook(principalOf(request), request.params.webhookId);
      await webhooks.removeWebhook(webhook.webhookId);
      deps.logger.info({ action: 'WEBHOOK_REMOVE', correlationId: request.id, webhookId: webhook.webhookId, tenantId: webhook.tenantId, status: 'OK' }, `webhook ${webhook.webhookId} removed`);
      return reply.code(204).send();
    },
  );
}
