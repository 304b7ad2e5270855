/**
 * Alarms (seed 001 §8-9, seed 000): `GET /v1.0/alarms` (definitions with state), `…/history`,
 * `PUT /v1.0/alarms/{name}` (threshold, period, evaluation periods, severity), `POST …/mute`,
 * `GET /v1.0/alarms/rules` (Prometheus alerting rules). platform-admin only.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { alarmHistory, listAlarms, muteAlarm, prometheusRules, setAlarm } from '../../app/alarms/alarm-commands.js';
import { assertPlatformAdmin } from '../../domain/auth.js';
import { SEVERITIES, type AlarmSettings } from '../../domain/alarms.js';
import { principalOf } from '../request-context.js';
import type { HttpDeps } from '../http-deps.js';
import { Open } from '../response-schemas.js';
import { ErrorBody } from '../schemas.js';

const strict = { additionalProperties: false } as const;
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const NameParams = Type.Object({ name: Type.String({ maxLength: 100 }) }, strict);
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const AlarmView = Open({
  name: Type.String(),
  description: Type.String(),
  state: Type.String({ description: 'OK, ALARM or INSUFFICIENT_DATA' }),
  reason: Type.String(),
  value: Type.Union([Type.Number(), Type.Null()]),
  threshold: Type.Number(),
  comparison: Type.String(),
  periodSeconds: Type.Integer(),
  evaluationPeriods: Type.Integer(),
  severity: Type.String(),
  action: Type.String(),
  since: Nullable(Type.String()),
  mutedUntil: Nullable(Type.String()),
});
const Transition = Open({ name: Type.String(), at: Type.String(), from: Type.String(), to: Type.String(), reason: Type.String(), value: Type.Union([Type.Number(), Type.Null()]), muted: Type.Boolean() });
const SetBody = Type.Object(
  {
    threshold: Type.Optional(Type.Number()),
    periodSeconds: Type.Optional(Type.Integer()),
    evaluationPeriods: Type.Optional(Type.Integer()),
    severity: Type.Optional(Type.Union(SEVERITIES.map((s) => Type.Literal(s)))),
  },
  strict,
);
const MuteBody = Type.Object({ minutes: Type.Integer({ description: 'how long; 0 unmutes' }) }, strict);
const HistoryQuery = Type.Object({ alarm: Type.Optional(Type.String({ maxLength: 100 })), limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })) }, strict);

export function registerAlarmRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/v1.0/alarms', { schema: { tags: ['admin'], summary: 'Every alarm with its definition and state', response: { 200: Open({ items: Type.Array(AlarmView) }), ...errors } } }, async (request) => {
    assertPlatformAdmin(principalOf(request));
    return { items: await listAlarms(deps) };
  });

  app.get<{ Querystring: { alarm?: string; limit?: string } }>(
    '/v1.0/alarms/history',
    { schema: { tags: ['admin'], summary: 'State transitions, newest first', querystring: HistoryQuery, response: { 200: Open({ items: Type.Array(Transition) }), ...errors } } },
    async (request) => {
      assertPlatformAdmin(principalOf(request));
      const limit = request.query.limit === undefined ? 100 : Math.min(1000, Math.max(1, Number(request.query.limit)));
      return { items: await alarmHistory(deps, { alarm: request.query.alarm, limit }) };
    },
  );

  app.get('/v1.0/alarms/rules', { schema: { tags: ['admin'], summary: 'The alarms as Prometheus alerting rules (YAML)', response: { 200: Type.String(), ...errors } } }, async (request, reply) => {
    assertPlatformAdmin(principalOf(request));
    return reply.header('content-type', 'application/yaml').send(await prometheusRules(deps));
  });

  app.put<{ Params: { name: string }; Body: AlarmSettings }>(
    '/v1.0/alarms/:name',
    { schema: { tags: ['admin'], summary: "Change an alarm's threshold, period, evaluation periods or severity", params: NameParams, body: SetBody, response: { 200: AlarmView, ...errors } } },
    async (request) => {
      assertPlatformAdmin(principalOf(request));
      return setAlarm(deps, request.params.name, request.body);
    },
  );

  app.post<{ Params: { name: string }; Body: { minutes: number } }>(
    '/v1.0/alarms/:name/mute',
    { schema: { tags: ['admin'], summary: "Silence an alarm's webhooks for a while (states are still kept)", params: NameParams, body: MuteBody, response: { 200: AlarmView, ...errors } } },
    async (request) => {
      assertPlatformAdmin(principalOf(request));
      return muteAlarm(deps, request.params.name, request.body.minutes);
    },
  );
}
