/**
 * Serialized bodies of frozen response values, kept per route: a frozen value cannot change, so
 * its JSON (by the route's response schema) is computed once and the bytes are reused while the
 * value lives. The store's commit-validated cache hands out the same frozen record until anything
 * commits (src/adapters/sqlite/commit-cache.ts), so the API's hot read, `GET /v1.0/tenants/{id}`,
 * skips building, serializing and UTF-8 encoding its body on every request but the first
 * (docs/benchmarks.md, API). A value that is not frozen, or a status other than 200, is sent as
 * usual; the bytes skip `preSerialization` hooks, which this app does not use.
 */
import type { FastifyReply } from 'fastify';

const JSON_TYPE = 'application/json; charset=utf-8';

export type FrozenBodySender = (reply: FastifyReply, value: object) => FastifyReply;

/** One per route: the body depends on the route's response schema as well as on the value. */
export function createFrozenBodySender(): FrozenBodySender {
  const bodies = new WeakMap<object, Buffer>();
  return (reply, value) => {
    if (reply.statusCode !== 200 || !Object.isFrozen(value)) return reply.send(value);
    let body = bodies.get(value);
    if (body === undefined) {
      body = Buffer.from(String(reply.serialize(value)), 'utf8');
      bodies.set(value, body);
    }
    return reply.header('content-type', JSON_TYPE).send(body);
  };
}
