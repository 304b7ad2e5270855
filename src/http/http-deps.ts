/**
 * What the HTTP layer needs besides the use cases' ports.
 */
import type { SiteDeps } from '../app/sites/site-deps.js';
import type { Tokens } from '../ports/tokens.js';
import type { AuditLog } from '../ports/audit.js';
import type { ComponentHealth } from '../ports/runtime.js';

export interface HttpDeps extends SiteDeps {
  tokens: Tokens;
  /** Requests per second per token (0 disables the limit). */
  rateLimitPerSecond: number;
  /** Prometheus exposition of every metric. */
  renderMetrics(): Promise<{ contentType: string; body: string }>;
  /** State of each component for GET /health. */
  health(): Promise<ComponentHealth[]>;
  /** Where every mutating request and every rejected token is recorded (audit.routes.ts reads it). */
  audit: AuditLog;
}
