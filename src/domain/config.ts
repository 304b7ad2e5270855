/**
 * The platform's settings, parsed once (main/config.ts) and frozen. Pure types and defaults here.
 */
import type { BackupSchedule, RetentionPolicy } from './backup.js';
import type { Environment } from './naming.js';

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
  /** Resolver for custom-domain TXT proofs (`host` or `host:port`); null: the system's. */
  dnsServer?: string | null;
  /** Backups (docs/backups.md). Absent: `<dataDir>/backups`, 10l,24h,7d,4w,3m, the default schedule. */
  backup?: {
    /** A restic repository (directory, sftp:…, s3:…); null: `<dataDir>/backups`. */
    repository: string | null;
    retention: RetentionPolicy;
    schedule: BackupSchedule;
  };
}
