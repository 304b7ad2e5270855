/**
 * Adds a hook to one route's own hook list from an `onRoute` hook. Route-level hooks are how
 * cross-cutting behaviour that depends on the route (its URL, whether it is public, its method)
 * is bound once at start-up instead of being looked up on every request.
 */
import type { RouteOptions } from 'fastify';

type HookName = 'onRequest' | 'preHandler' | 'onSend' | 'onResponse';

export function appendRouteHook(route: RouteOptions, name: HookName, hook: unknown): void {
  const own: unknown[] = route[name] === undefined ? [] : Array.isArray(route[name]) ? [...(route[name] as unknown[])] : [route[name]];
  own.push(hook);
  (route as unknown as Record<HookName, unknown>)[name] = own;
}
