/**
 * What the HTTP layer needs besides the use cases' ports.
 */
import type { SiteDeps } from '../app/sites/site-deps.js';
import type { Tokens } from '../ports/tokens.js';
import type { AlarmStore } from '../ports/alarms.js';
import type { LogArchive } from '../ports/log-archive.js';
import type { AuditLog } from '../ports/audit.js';
import type { ComponentHealth } from '../ports/runtime.js';
import type { Certificates } from '../ports/certificates.js';

export interface HttpDeps extends SiteDeps {
  tokens: Tokens;
  /** Requests per second per token (0 disables the limit). */
  rateLimitPerSecond: number;
  /** Hold responses to the end of the event-loop turn (BBWS_RESPONSE_BATCHING; see PlatformConfig). */
  responseBatching?: boolean;
  /** Reuse the serialized body of a frozen record (BBWS_READ_CACHE; see PlatformConfig). */
  frozenBodies?: boolean;
  /** Prometheus exposition of every metric. */
  renderMetrics(): Promise<{ contentType: string; body: string }>;
  /** Alarm settings, states and history (GET /v1.0/alarms). */
  alarms: AlarmStore;
  /** The platform's own logs, for GET /v1.0/logs/query. */
  logs: LogArchive;
  /** State of each component for GET /health. */
  health(): Promise<ComponentHealth[]>;
  /** Where every mutating request and every rejected token is recorded (audit.routes.ts reads it). */
  audit: AuditLog;
  /** The edge's certificates: undefined where no runtime runs here, null with --tls off. */
  certificates?: () => Certificates | null | undefined;
  /** `--tls` (auto, manual, off), shown by GET /v1.0/admin/certificates. */
  tlsMode?: string;
  /** Rotation policy in days (BBWS_SECRET_MAX_AGE_DAYS), for GET /v1.0/secrets. */
  secretMaxAgeDays?: number;
}
