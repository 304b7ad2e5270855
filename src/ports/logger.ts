/**
 * Structured logging. The pino logger made by `main/logger.ts` satisfies this; use cases and
 * adapters depend on this interface only. Field names follow seed 000's log queries:
 * `correlationId`, `tenantId`, `siteId`, `action`, `status`, `statusCode`, `errorCode`.
 */
export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  /**
   * `info` for flat records (strings and numbers; `undefined` fields are left out), written in
   * the same line shape without a general-purpose serializer: the per-request line's path.
   */
  infoFlat(fields: Readonly<Record<string, string | number | undefined>>, msg: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}
