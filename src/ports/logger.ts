/**
 * Structured logging. The pino logger made by `main/logger.ts` satisfies this; use cases and
 * adapters depend on this interface only. Field names follow seed 000's log queries:
 * `correlationId`, `tenantId`, `siteId`, `action`, `status`, `statusCode`, `errorCode`.
 *
 * What an adapter must guarantee: one record per call at or above its level, in call order, with
 * the bindings of every `child` merged in (the call's fields win); fields whose value is
 * `undefined` are left out; values of secret-named fields (`password`, `token`, `authorization`…)
 * are redacted; a call never throws and never waits for the write.
 */
export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}
