/**
 * Builds the HTTP API (no listen: tests use inject or a real ephemeral port). Cross-cutting
 * behaviour lives here: correlation ids, auth, rate limit, body limits, idempotency, the error
 * shape, request logs with a REPORT line, request metrics.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { Principal } from '../domain/auth.js';
import './request-context.js';
import { BbwsError } from '../domain/errors.js';
import { reportFields, reportMessage } from '../app/report-line.js';
import { mapError } from './error-mapper.js';
import { answerClientError, answerFrameworkError } from './framework-errors.js';
import type { HttpDeps } from './http-deps.js';
import { registerIdempotency } from './idempotency.js';
import { createRateLimiter } from './rate-limit.js';
import { registerResponseBatching } from './response-batch.js';
import { appendRouteHook } from './route-hooks.js';
import { registerAdminRoutes } from './routes/admin.routes.js';
import { registerCertificateRoutes } from './routes/certificates.routes.js';
import { registerAuditRoutes } from './routes/audit.routes.js';
import { auditRequest } from './audit-request.js';
import { registerBackupRoutes } from './routes/backups.routes.js';
import { registerSecretRoutes } from './routes/secrets.routes.js';
import { registerCleanupRoutes } from './routes/cleanup.routes.js';
import { registerCatalogRoutes } from './routes/catalog.routes.js';
import { registerDomainRoutes } from './routes/domains.routes.js';
import { registerSiteRoutes } from './routes/sites.routes.js';
import { registerWebhookRoutes } from './routes/webhooks.routes.js';
import { registerEventRoutes } from './routes/events.routes.js';
import { registerOperationRoutes } from './routes/operations.routes.js';
import { registerSystemRoutes } from './routes/system.routes.js';
import { registerTenantRoutes } from './routes/tenants.routes.js';
import { registerInstallLinkRoutes } from './routes/install-link.routes.js';
import { registerLogRoutes } from './routes/logs.routes.js';
import { registerAlarmRoutes } from './routes/alarms.routes.js';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;
export const MAX_BODY_BYTES = 1024 * 1024;

export async function buildApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    genReqId: (req) => {
      const given = req.headers['x-correlation-id'];
      return typeof given === 'string' && CORRELATION_ID.test(given) ? given : globalThis.crypto.randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    return503OnClosing: true,
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  const limiter = createRateLimiter(deps.rateLimitPerSecond, deps.now);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'BBWS Platform API', version: '1.0.0', description: 'Multi-tenant WordPress hosting control plane.' },
      servers: [{ url: '/', description: 'The API that serves this document' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });

  app.decorateRequest('principal', null);
  app.decorateRequest('startedAt', 0n);
  app.decorateRequest('errorCode', null);

  // Hooks are callbacks, not async functions, and everything that depends on the route is bound
  // once per route in `onRoute` (Fastify 5's `request.routeOptions` builds a new object on every
  // read): per-request CPU is the API benchmark's budget (docs/benchmarks.md).
  app.addHook('onRequest', (request, reply, done) => {
    request.startedAt = process.hrtime.bigint();
    reply.header('x-correlation-id', request.id);
    done();
  });

  /**
   * Sets the principal; the rate-limit error when its token is over its rate. The bucket is the
   * token's (keyed by its signature, unique per token), not its subject's: every token the CLI
   * mints has the subject `operator`, and one operator's parallel scripts must not share a bucket.
   */
  const admit = (request: FastifyRequest, reply: FastifyReply, principal: Principal, token: string): BbwsError | undefined => {
    request.principal = principal;
    const wait = limiter.take(token.slice(token.lastIndexOf('.') + 1));
    if (wait === 0) return undefined;
    reply.header('retry-after', String(wait));
    return new BbwsError('RATE_LIMITED', undefined, { retryAfterSeconds: wait });
  };

  // A callback hook: a token seen before is admitted without a promise (the usual case).
  const authenticate = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!m) return done(new BbwsError('UNAUTHORIZED'));
    let known: Principal | undefined;
    try {
      known = deps.tokens.verifyCached(m[1]);
    } catch (err) {
      return done(err as Error);
    }
    if (known) return done(admit(request, reply, known, m[1]));
    deps.tokens.verify(m[1]).then(
      (principal) => done(admit(request, reply, principal, m[1])),
      (err: Error) => done(err),
    );
  };

  const observe = (route: string, quiet: boolean) => {
    const actions: Record<string, string> = {}; // "GET /v1.0/tenants/:tenantId", built once per method
    return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
      const durationMs = Number(process.hrtime.bigint() - request.startedAt) / 1e6;
      const statusCode = reply.statusCode;
      deps.metrics.increment('bbws_http_requests_total', { method: request.method, route, status: statusCode });
      deps.metrics.observe('bbws_http_request_duration_seconds', durationMs / 1000, { method: request.method, route });
      // /health and /metrics are scraped every few seconds: counted, not logged.
      const action = (actions[request.method] ??= `${request.method} ${route}`);
      if (!quiet) logRequest(request, statusCode, action, durationMs);
      auditRequest(deps.audit, request, statusCode, action);
      done();
    };
  };

  // One line per request carries both the request's fields and the REPORT fields: seed 000's
  // queries filter on either (statusCode >= 400; @type = "REPORT" and @duration), and a second
  // line per request cost a measurable share of the API's CPU (bench/api.bench.ts).
  const logRequest = (request: FastifyRequest, statusCode: number, action: string, durationMs: number): void => {
    const query = request.url.indexOf('?');
    const path = query === -1 ? request.url : request.url.slice(0, query);
    deps.logger.info(
      {
        correlationId: request.id,
        tenantId: (request.params as Record<string, string | undefined> | undefined)?.tenantId ?? request.principal?.tenantId ?? undefined,
        action,
        status: statusCode < 400 ? 'OK' : 'ERROR',
        statusCode,
        errorCode: statusCode >= 400 ? (request.errorCode ?? undefined) : undefined,
        ...reportFields(request.id, durationMs),
      },
      `${request.method} ${path} ${statusCode} ${reportMessage(request.id, durationMs)}`,
    );
  };

  // Every route gets its own auth and observe hooks with its URL bound; the not-found handler
  // gets the same below, so an unknown path still needs a token and is still logged.
  app.addHook('onRoute', (route) => {
    if (!route.config?.public) appendRouteHook(route, 'onRequest', authenticate);
    appendRouteHook(route, 'onResponse', observe(route.url, route.url === '/health' || route.url === '/metrics'));
  });

  registerIdempotency(app, deps);
  if (deps.responseBatching) registerResponseBatching(app);

  app.setErrorHandler((err, request, reply) => {
    const mapped = mapError(err);
    if (mapped.unexpected) {
      deps.logger.error({ correlationId: request.id, err: err instanceof Error ? err.stack : String(err), path: request.url }, 'unexpected error');
    }
    request.errorCode = mapped.code;
    reply.code(mapped.status).send({ error: { code: mapped.code, message: mapped.message, details: mapped.details, correlationId: request.id } });
  });

  const observeUnmatched = observe('unmatched', false);
  app.addHook('onResponse', (request, reply, done) => (request.is404 ? observeUnmatched(request, reply, done) : done()));
  app.setNotFoundHandler({ preHandler: authenticate }, (request, reply) => {
    request.errorCode = 'NOT_FOUND';
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `No route for ${request.method} ${request.url.split('?')[0]}.`, details: {}, correlationId: request.id } });
  });

  registerSystemRoutes(app, deps);
  registerTenantRoutes(app, deps);
  registerInstallLinkRoutes(app, deps);
  registerOperationRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerAdminRoutes(app, deps);
  registerCertificateRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerSiteRoutes(app, deps);
  registerBackupRoutes(app, deps);
  registerSecretRoutes(app, deps);
  registerCleanupRoutes(app, deps);
  registerDomainRoutes(app, deps);
  registerCatalogRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerLogRoutes(app, deps);
  registerAlarmRoutes(app, deps);
  await app.ready();
  return app;
}
