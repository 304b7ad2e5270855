/**
 * The marketplaces: GET /v1.0/templates, GET /v1.0/templates/{id}, POST /v1.0/templates/{id}/preview,
 * GET /v1.0/plugins (approved packages with their vetting result).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { previewTemplate } from '../../app/sites/site-commands.js';
import { BbwsError } from '../../domain/errors.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { MarketplacePlugins, PreviewAccepted, TemplateList, TemplateView } from '../response-schemas.js';
import { ErrorBody } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };

const TemplateParams = Type.Object({ templateId: Type.String({ maxLength: 64 }) }, { additionalProperties: false });

export function registerCatalogRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/v1.0/templates', { schema: { tags: ['templates'], summary: 'List templates', response: { 200: TemplateList, 401: ErrorBody } } }, async (request) => {
    principalOf(request);
    return { templates: await deps.templates.list() };
  });
  app.get<{ Params: { templateId: string } }>('/v1.0/templates/:templateId', { schema: { tags: ['templates'], summary: 'Get a template', params: TemplateParams, response: { 200: TemplateView, ...errors } } }, async (request) => {
    principalOf(request);
    const t = await deps.templates.get(request.params.templateId);
    if (!t) throw new BbwsError('TEMPLATE_NOT_FOUND', undefined, { templateId: request.params.templateId });
    return t;
  });
  app.post<{ Params: { templateId: string }; Body: { tenantId?: string } | undefined }>(
    '/v1.0/templates/:templateId/preview',
    {
      schema: {
        tags: ['templates'],
        summary: 'Preview: a temporary site with the template applied, removed after an hour',
        params: TemplateParams,
        body: Type.Optional(Type.Object({ tenantId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false })),
        response: { 202: PreviewAccepted, 409: ErrorBody, ...errors },
      },
    },
    async (request, reply) => reply.code(202).send(await previewTemplate(deps, principalOf(request), request.params.templateId, request.body?.tenantId, request.id)),
  );
  app.get('/v1.0/plugins', { schema: { tags: ['plugins'], summary: 'Approved marketplace plugins with their vetting result', response: { 200: MarketplacePlugins, 401: ErrorBody } } }, async (request) => {
    principalOf(request);
    return { plugins: await deps.marketplace.list() };
  });
}
