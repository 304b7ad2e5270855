/**
 * Responses finished in one event-loop turn leave together, in the turn's check phase, instead of
 * each as soon as its handler returns.
 *
 * Under load the API reads several requests per turn. Writing each response at once wakes the
 * sleeping client (or nginx, or a local agent) once per response, and on this 2-core VM that
 * cross-CPU wake-up was the largest kernel cost of a `GET /v1.0/tenants/{id}`
 * (`sock_def_readable` → `_raw_spin_unlock_irqrestore`, 11 % of the server's `perf` profile).
 * Sent back to back, the first write wakes the client and the rest find it awake. What it costs
 * is the rest of the current turn, microseconds (docs/benchmarks.md, API).
 */
import type { FastifyInstance } from 'fastify';

export function registerResponseBatching(app: FastifyInstance): void {
  const held: (() => void)[] = [];
  const release = (): void => {
    const ready = held.splice(0);
    for (const send of ready) send();
  };
  app.addHook('onSend', (_request, _reply, payload, done) => {
    if (held.length === 0) setImmediate(release);
    held.push(() => done(null, payload));
  });
}
