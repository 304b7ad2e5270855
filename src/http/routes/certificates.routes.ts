/**
 * The edge's TLS certificates, behind `bbws certs list|renew|set|ca` (docs/tls.md). platform-admin
 * only. Private keys go in (an operator's own certificate) and never come out.
 */
import type { FastifyInstance } from 'fastify';
import { assertPlatformAdmin } from '../../domain/auth.js';
import { BbwsError } from '../../domain/errors.js';
import type { Certificates } from '../../ports/certificates.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { CaCertificateView, CertificateList, CertificateView } from '../response-schemas.js';
import { CertificateNameParams, ErrorBody, ManualCertificateBody } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, 502: ErrorBody, 503: ErrorBody };

export function registerCertificateRoutes(app: FastifyInstance, deps: HttpDeps): void {
  /** The certificates port; RUNTIME_UNAVAILABLE without the edge here, TLS_DISABLED with --tls off. */
  const certificates = (): Certificates => {
    const c = deps.certificates?.();
    if (c === undefined) throw new BbwsError('RUNTIME_UNAVAILABLE');
    if (c === null) throw new BbwsError('TLS_DISABLED');
    return c;
  };

  app.get('/v1.0/admin/certificates', { schema: { tags: ['admin'], summary: "The edge's certificates: issuer, expiry, renewal, last failure", response: { 200: CertificateList, ...errors } } }, async (request) => {
    assertPlatformAdmin(principalOf(request));
    return { mode: deps.tlsMode ?? 'off', items: await certificates().list() };
  });

  app.get('/v1.0/admin/certificates/ca', { schema: { tags: ['admin'], summary: "The platform's local CA certificate (PEM)", response: { 200: CaCertificateView, ...errors } } }, async (request) => {
    assertPlatformAdmin(principalOf(request));
    return { certificate: await certificates().caCertificate() };
  });

  app.post<{ Params: { name: string } }>(
    '/v1.0/admin/certificates/:name/renew',
    { schema: { tags: ['admin'], summary: 'Issue a certificate again now (ACME or the local CA)', params: CertificateNameParams, response: { 200: CertificateView, ...errors } } },
    async (request) => {
      assertPlatformAdmin(principalOf(request));
      const info = await certificates().renew(request.params.name);
      deps.logger.info({ action: 'TLS_RENEW', hostname: info.name, correlationId: request.id, status: 'OK' }, `certificate for ${info.name} renewed on request`);
      return info;
    },
  );

  app.put<{ Params: { name: string }; Body: { certificate: string; privateKey: string } }>(
    '/v1.0/admin/certificates/:name',
    { schema: { tags: ['admin'], summary: "Install an operator's certificate and key (validated; never renewed by the platform)", params: CertificateNameParams, body: ManualCertificateBody, response: { 200: CertificateView, ...errors } } },
    async (request) => {
      assertPlatformAdmin(principalOf(request));
      return certificates().install(request.params.name, request.body);
    },
  );
}
