/**
 * Configuration, parsed once: flag → environment variable → default, validated with a message
 * that names the setting, then frozen.
 */
import { resolve } from 'node:path';
import type { PlatformConfig } from '../domain/config.js';
import { DEFAULT_RETENTION, DEFAULT_SCHEDULE, parseRetention, parseSchedule } from '../domain/backup.js';
import { isBbwsError } from '../domain/errors.js';
import { isEnvironment, isValidHostname, names } from '../domain/naming.js';
import { LETS_ENCRYPT_PRODUCTION, TLS_MODES, type TlsMode, type TlsSettings } from '../domain/tls.js';

export interface ConfigFlags {
  dataDir?: string;
  apiPort?: string | number;
  edgePort?: string | number;
  edgeHost?: string;
  env?: string;
  baseDomain?: string;
  mysqlUrl?: string;
  clusterName?: string;
  backupRepository?: string;
  retention?: string;
  tls?: string;
  httpsPort?: string | number;
  acmeDirectory?: string;
  acmeEmail?: string;
}

export class ConfigError extends Error {
  constructor(setting: string, problem: string) {
    super(`Invalid setting ${setting}: ${problem}`);
    this.name = 'ConfigError';
  }
}

function port(setting: string, value: string | number | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(setting, `expected a TCP port 0-65535, got "${value}"`);
  return n;
}

/** An IPv4 address or a bracketed IPv6 one (what nginx's `listen` takes); `::` and `0.0.0.0` mean every address. */
function listenHost(value: string | undefined): string {
  if (value === undefined || value === '') return '127.0.0.1';
  const v = value === '::' ? '[::]' : /^[0-9a-f:]+$/i.test(value) && value.includes(':') ? `[${value}]` : value;
  const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(v);
  if (!ipv4 && !/^\[[0-9a-f:]{2,39}\]$/i.test(v)) throw new ConfigError('--edge-host / BBWS_EDGE_HOST', `expected an IP address to listen on (127.0.0.1, 0.0.0.0, ::1…), got "${value}"`);
  return v.toLowerCase();
}

function positive(setting: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(setting, `expected a non-negative number, got "${value}"`);
  return n;
}

function atLeast(setting: string, value: string | undefined, fallback: number, min: number): number {
  const n = positive(setting, value, fallback);
  if (n < min) throw new ConfigError(setting, `expected at least ${min}, got "${value}"`);
  return n;
}

function healthInterval(value: string | undefined): number {
  const n = positive('BBWS_HEALTH_INTERVAL_SECONDS', value, 30);
  if (n < 5 || n > 3600) throw new ConfigError('BBWS_HEALTH_INTERVAL_SECONDS', `expected 5-3600 seconds, got "${value}"`);
  return n;
}

/** An on/off setting: 1/true/on or 0/false/off (absent: off). */
function flag(setting: string, value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  if (/^(1|true|on|yes)$/i.test(value)) return true;
  if (/^(0|false|off|no)$/i.test(value)) return false;
  throw new ConfigError(setting, `expected on or off (1/0, true/false), got "${value}"`);
}

/** `BBWS_DNS_SERVER`: an IP address, optionally with a port (`127.0.0.1:5353`, `[::1]:53`). */
function dnsServer(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  if (!/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:]+\](:\d{1,5})?|[0-9a-fA-F:]+)$/.test(value)) {
    throw new ConfigError('BBWS_DNS_SERVER', `expected an IP address with an optional :port, got "${value}"`);
  }
  return value;
}

/** A setting parsed by a domain parser: its BbwsError becomes a ConfigError naming the setting. */
function parsed<T>(setting: string, value: string | undefined, parse: (v: string) => T, fallback: T): T {
  if (value === undefined || value === '') return fallback;
  try {
    return parse(value);
  } catch (e) {
    if (isBbwsError(e)) throw new ConfigError(setting, `${e.message} Got "${value}".`);
    throw e;
  }
}

/** BBWS_BACKUP_REPOSITORY: a directory (made absolute) or a restic backend URL (sftp:, s3:, rest:, b2:, azure:, gs:, rclone:). */
function backupRepository(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  if (/^(sftp|s3|rest|b2|azure|gs|rclone|swift):/.test(value)) return value;
  if (/[\u0000-\u001f]/.test(value)) throw new ConfigError('--repository / BBWS_BACKUP_REPOSITORY', 'control characters are not allowed');
  return resolve(value);
}

/** `--tls` and its companions (domain/tls.ts); the HTTPS port must differ from the HTTP one. */
function tlsSettings(flags: ConfigFlags, env: NodeJS.ProcessEnv, edgePort: number): TlsSettings {
  const mode = flags.tls ?? env.BBWS_TLS ?? 'off';
  if (!TLS_MODES.includes(mode as TlsMode)) throw new ConfigError('--tls / BBWS_TLS', `expected auto, manual or off, got "${mode}"`);
  const httpsPort = port('--https-port / BBWS_HTTPS_PORT', flags.httpsPort ?? env.BBWS_HTTPS_PORT, 8443);
  if (mode !== 'off' && httpsPort === edgePort && httpsPort !== 0) throw new ConfigError('--https-port / BBWS_HTTPS_PORT', `must differ from the edge's HTTP port ${edgePort}`);
  const acmeDirectory = flags.acmeDirectory ?? env.BBWS_ACME_DIRECTORY ?? LETS_ENCRYPT_PRODUCTION;
  if (!/^https:\/\/[^\s/]+(\/\S*)?$/.test(acmeDirectory)) throw new ConfigError('--acme-directory / BBWS_ACME_DIRECTORY', `expected an https:// URL, got "${acmeDirectory}"`);
  const acmeEmail = flags.acmeEmail ?? env.BBWS_ACME_EMAIL ?? null;
  if (acmeEmail !== null && !/^[^\s@:]+@[a-z0-9.-]+\.[a-z]{2,}$/i.test(acmeEmail)) throw new ConfigError('--acme-email / BBWS_ACME_EMAIL', `"${acmeEmail}" is not an e-mail address`);
  const acmeCaFile = env.BBWS_ACME_CA_FILE ? resolve(env.BBWS_ACME_CA_FILE) : null;
  return Object.freeze({ mode: mode as TlsMode, httpsPort, acmeDirectory, acmeEmail, acmeCaFile });
}

export function parseConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Readonly<PlatformConfig> {
  const environment = flags.env ?? env.BBWS_ENV ?? 'dev';
  if (!isEnvironment(environment)) throw new ConfigError('--env / BBWS_ENV', `expected dev, sit or prod, got "${environment}"`);
  const baseDomain = flags.baseDomain ?? env.BBWS_BASE_DOMAIN ?? 'localhost';
  if (!isValidHostname(baseDomain)) throw new ConfigError('--base-domain / BBWS_BASE_DOMAIN', `"${baseDomain}" is not a DNS name`);
  const mysqlUrl = flags.mysqlUrl ?? env.BBWS_MYSQL_URL ?? null;
  if (mysqlUrl !== null && !/^mysql:\/\/[^@\s]+@[^:\s/]+(:\d+)?\/?$/.test(mysqlUrl)) {
    throw new ConfigError('--mysql-url / BBWS_MYSQL_URL', 'expected mysql://user:password@host[:port]');
  }
  const clusterName = flags.clusterName ?? env.BBWS_CLUSTER_NAME ?? names.clusterName(environment);
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(clusterName)) throw new ConfigError('BBWS_CLUSTER_NAME', 'letters, digits, - and _ only');
  const logLevel = env.BBWS_LOG_LEVEL ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) throw new ConfigError('BBWS_LOG_LEVEL', `unknown level "${logLevel}"`);
  const edgePort = port('--edge-port / BBWS_EDGE_PORT', flags.edgePort ?? env.BBWS_EDGE_PORT, 8088);
  return Object.freeze({
    dataDir: resolve(flags.dataDir ?? env.BBWS_DATA_DIR ?? './.bbws'),
    apiPort: port('--api-port / BBWS_API_PORT', flags.apiPort ?? env.BBWS_API_PORT, 8080),
    edgePort,
    edgeHost: listenHost(flags.edgeHost ?? env.BBWS_EDGE_HOST),
    env: environment,
    baseDomain,
    clusterName,
    mysqlUrl,
    operationDeadlineMinutes: positive('BBWS_OPERATION_DEADLINE_MINUTES', env.BBWS_OPERATION_DEADLINE_MINUTES, 15),
    rateLimitPerSecond: positive('BBWS_RATE_LIMIT', env.BBWS_RATE_LIMIT, 100),
    healthIntervalSeconds: healthInterval(env.BBWS_HEALTH_INTERVAL_SECONDS),
    logLevel,
    alarmIntervalSeconds: atLeast('BBWS_ALARM_INTERVAL_SECONDS', env.BBWS_ALARM_INTERVAL_SECONDS, 60, 1),
    logRotation: Object.freeze({
      maxBytes: atLeast('BBWS_LOG_MAX_MB', env.BBWS_LOG_MAX_MB, 100, 1) * 2 ** 20,
      maxAgeMs: atLeast('BBWS_LOG_MAX_AGE_HOURS', env.BBWS_LOG_MAX_AGE_HOURS, 24, 1) * 3_600_000,
      retentionMs: atLeast('BBWS_LOG_RETENTION_DAYS', env.BBWS_LOG_RETENTION_DAYS, 30, 1) * 86_400_000,
    }),
    auditRetentionDays: atLeast('BBWS_AUDIT_RETENTION_DAYS', env.BBWS_AUDIT_RETENTION_DAYS, 365, 1),
    secretMaxAgeDays: atLeast('BBWS_SECRET_MAX_AGE_DAYS', env.BBWS_SECRET_MAX_AGE_DAYS, 90, 1),
    dnsServer: dnsServer(env.BBWS_DNS_SERVER),
    responseBatching: flag('BBWS_RESPONSE_BATCHING', env.BBWS_RESPONSE_BATCHING),
    readCache: flag('BBWS_READ_CACHE', env.BBWS_READ_CACHE),
    loginGuard: Object.freeze({
      maxFailures: Math.max(1, Math.trunc(positive('BBWS_LOGIN_MAX_FAILURES', env.BBWS_LOGIN_MAX_FAILURES, 5))),
      windowMinutes: positive('BBWS_LOGIN_WINDOW_MINUTES', env.BBWS_LOGIN_WINDOW_MINUTES, 5),
      blockMinutes: positive('BBWS_LOGIN_BLOCK_MINUTES', env.BBWS_LOGIN_BLOCK_MINUTES, 15),
    }),
    backup: Object.freeze({
      repository: backupRepository(flags.backupRepository ?? env.BBWS_BACKUP_REPOSITORY),
      retention: parsed('--retention / BBWS_BACKUP_RETENTION', flags.retention ?? env.BBWS_BACKUP_RETENTION, parseRetention, DEFAULT_RETENTION),
      schedule: parsed('BBWS_BACKUP_SCHEDULE', env.BBWS_BACKUP_SCHEDULE, parseSchedule, DEFAULT_SCHEDULE),
    }),
    tls: tlsSettings(flags, env, edgePort),
  });
}
