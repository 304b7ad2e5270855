/**
 * What the HTTP layer needs besides the use cases' ports.
 */
import type { SiteDeps } from '../app/sites/site-deps.js';
import type { TokenAuthority } from '../adapters/auth/jwt.js';
import type { ComponentHealth } from '../ports/runtime.js';

export interface HttpDeps extends SiteDeps {
  tokens: TokenAuthority;
  /** Requests per second per token (0 disables the limit). */
  rateLimitPerSecond: number;
  /** Prometheus exposition of every metric. */
  renderMetrics(): Promise<{ contentType: string; body: string }>;
  /** State of each component for GET /health. */
  health(): Promise<ComponentHealth[]>;
}
