/**
 * Unauthenticated system routes: /health (each component's state), /metrics (Prometheus),
 * /openapi.json (generated from the route schemas).
 */
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../http-deps.js';

export function registerSystemRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/health', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    const components = await deps.health();
    const status = components.some((c) => c.status === 'down') ? 'down' : components.some((c) => c.status === 'degraded') ? 'degraded' : 'ok';
    return reply.code(status === 'down' ? 503 : 200).send({ status, environment: deps.env, components });
  });

  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    const { contentType, body } = await deps.renderMetrics();
    return reply.header('content-type', contentType).send(body);
  });

  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}
