/**
 * The platform's settings, parsed once (main/config.ts) and frozen. Pure types and defaults here.
 */
import type { BackupSchedule, RetentionPolicy } from './backup.js';
import type { Environment } from './naming.js';
import type { TlsSettings } from './tls.js';

export interface PlatformConfig {
  dataDir: string;
  apiPort: number;
  edgePort: number;
  /**
   * Address the edge (nginx) listens on: 127.0.0.1 unless the operator says otherwise. A fresh
   * tenant answers its installer to whoever comes first, so the edge is not public by default.
   */
  edgeHost: string;
  env: Environment;
  baseDomain: string;
  /** ECS cluster whose events we accept (seed 004: `bbws-cluster-<env>`). */
  clusterName: string;
  /** External MySQL (`mysql://user:pass@host:port`) instead of the embedded MariaDB. */
  mysqlUrl: string | null;
  /** Minutes before an operation is failed by the reconciler (seed 000: 15). */
  operationDeadlineMinutes: number;
  /**
   * Seconds between two health checks of one tenant (seed 003: 30). Each is a `GET /` through the
   * edge, a full WordPress request: ~33 a second at 1,000 tenants with the default.
   */
  healthIntervalSeconds: number;
  /** Requests per second allowed per token (429 beyond). */
  rateLimitPerSecond: number;
  logLevel: string;
  /**
   * `BBWS_RESPONSE_BATCHING` (default off): responses finished in one event-loop turn leave
   * together at its end (src/http/response-batch.ts). Trade-off: fewer cross-CPU wake-ups of the
   * client under load, for up to one turn's delay on every response; the API meets its target
   * (p99 ≤ 10 ms at 2,000 req/s) without it.
   */
  responseBatching?: boolean;
  /**
   * `BBWS_READ_CACHE` (default off): `GET /v1.0/tenants/{id}` served from a read cache validated
   * by SQLite's WAL-index header (src/adapters/sqlite/commit-cache.ts) and its serialized body
   * reused while nothing commits (src/http/frozen-body.ts). Trade-off: less CPU per hot read, for
   * records shared and frozen between requests, a dependency on SQLite's WAL file format (the
   * store refuses it with `locking_mode=EXCLUSIVE`, where the header is not shared) and memory for
   * up to 4,096 cached tenants.
   */
  readCache?: boolean;
  /** Seconds between two alarm evaluations (BBWS_ALARM_INTERVAL_SECONDS, default 60). */
  alarmIntervalSeconds?: number;
  /** Rotation of logs/bbws.jsonl: BBWS_LOG_MAX_MB, BBWS_LOG_MAX_AGE_HOURS, BBWS_LOG_RETENTION_DAYS. */
  logRotation?: { maxBytes: number; maxAgeMs: number; retentionMs: number };
  /** Days the audit log keeps an entry (BBWS_AUDIT_RETENTION_DAYS, default 365: seed 002's year). */
  auditRetentionDays?: number;
  /** Rotation policy: a rotatable secret older than this many days is overdue (BBWS_SECRET_MAX_AGE_DAYS, default 90). */
  secretMaxAgeDays?: number;
  /** Resolver for custom-domain TXT proofs (`host` or `host:port`); null: the system's. */
  dnsServer?: string | null;
  /**
   * Brute-force protection at the edge: after `maxFailures` failed WordPress logins from one
   * address on one host within `windowMinutes`, that address gets 429 there for `blockMinutes`.
   */
  loginGuard?: { maxFailures: number; windowMinutes: number; blockMinutes: number };
  /** Backups (docs/backups.md). Absent: `<dataDir>/backups`, 10l,24h,7d,4w,3m, the default schedule. */
  backup?: {
    /** A restic repository (directory, sftp:…, s3:…); null: `<dataDir>/backups`. */
    repository: string | null;
    retention: RetentionPolicy;
    schedule: BackupSchedule;
  };
  /** HTTPS at the edge (domain/tls.ts); absent: off. */
  tls?: TlsSettings;
}
