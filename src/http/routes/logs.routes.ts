/**
 * `GET /v1.0/logs/query`: a Logs Insights query over the platform's logs (seed 000 §3),
 * platform-admin only. The query goes in `query`, the time range in `since` / `until`.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { assertPlatformAdmin } from '../../domain/auth.js';
import { queryLogs } from '../../app/query-logs.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { Open } from '../response-schemas.js';
import { ErrorBody } from '../schemas.js';

const LogQueryString = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: 8192, description: 'Logs Insights query, e.g. `fields @timestamp, @message | filter @message like /ERROR/ | limit 20`' }),
    since: Type.Optional(Type.String({ maxLength: 64, description: 'start: a duration ago (30m, 1h, 7d) or an ISO time with a zone; default 1h' })),
    until: Type.Optional(Type.String({ maxLength: 64, description: 'end (exclusive): a duration ago or an ISO time; default now' })),
  },
  { additionalProperties: false },
);

const LogQueryResult = Open({
  columns: Type.Array(Type.String()),
  rows: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  range: Open({ since: Type.String(), until: Type.String() }),
  statistics: Open({
    filesRead: Type.Integer(),
    bytesScanned: Type.Integer(),
    recordsScanned: Type.Integer(),
    recordsMatched: Type.Integer(),
    durationMs: Type.Integer(),
  }),
});

export function registerLogRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Querystring: { query: string; since?: string; until?: string } }>(
    '/v1.0/logs/query',
    {
      schema: {
        tags: ['admin'],
        summary: 'Run a CloudWatch Logs Insights query on the platform logs (seed 000 §3)',
        querystring: LogQueryString,
        response: { 200: LogQueryResult, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request) => {
      assertPlatformAdmin(principalOf(request));
      return queryLogs(deps, request.query);
    },
  );
}
