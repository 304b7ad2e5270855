/**
 * The composition root: opens the state file, wires adapters into use cases, and runs the roles
 * asked for (api, worker, events, reconciler) until stopped. `bbws up` runs them all in one
 * process; each can also run alone against the same data dir.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createTokenAuthority } from '../adapters/auth/jwt.js';
import { createJsonlAuditLog } from '../adapters/audit/jsonl-audit-log.js';
import { writeFileAtomicSync } from '../adapters/files/atomic-write.js';
import { createPrometheusMetrics } from '../adapters/metrics/prometheus.js';
import { createNodeTxtLookup } from '../adapters/domains/node-dns.js';
import { createSqliteDomainRegistry } from '../adapters/domains/sqlite.js';
import { createSqliteQueue } from '../adapters/queue/sqlite.js';
import { openSqliteDatabase } from '../adapters/sqlite/database.js';
import { createSqliteStore } from '../adapters/store/sqlite.js';
import type { AppDeps, WorkerDeps } from '../app/deps.js';
import type { SiteDeps } from '../app/sites/site-deps.js';
import { DEFAULT_SECRET_MAX_AGE_DAYS, listSecretAges } from '../app/secrets/secret-ages.js';
import { listBackupProblems } from '../app/backups/backup-health.js';
import { BACKUP_HEALTH_TTL_MS, componentHealth, diskFreePercent, memoizeFor } from './component-health.js';
import { createLocalMarketplace } from '../adapters/plugins/local-marketplace.js';
import { createWebhookNotifier } from '../adapters/notifier/webhooks.js';
import { createJsonlLogArchive } from '../adapters/logs/jsonl-archive.js';
import { createSqliteAlarmStore } from '../adapters/alarms/sqlite-alarms.js';
import { runAlarmEvaluator } from '../app/alarms/evaluate-alarms.js';
import { refreshAlarmGauges } from './alarm-gauges.js';
import { createLocalTemplateCatalog } from '../adapters/templates/local-catalog.js';
import type { AuditLog } from '../ports/audit.js';
import { catalogDir } from '../adapters/backup/backup-paths.js';
import { createFileBackupCatalog } from '../adapters/backup/file-catalog.js';
import { DEFAULT_RETENTION, DEFAULT_SCHEDULE } from '../domain/backup.js';
import type { BackupCatalog, BackupEngine } from '../ports/backups.js';
import type { BackupDeps } from '../app/backups/backup-deps.js';
import type { Metrics } from '../ports/metrics.js';
import type { Notifier } from '../ports/notifier.js';
import type { Secrets } from '../ports/secrets.js';
import type { WordPress } from '../ports/wordpress.js';
import { runAuditRetention, runBackupScheduler, runBackupWorker, runEventWorker, runOutboxRelay, runProvisioningWorker, runReconciler, runSiteHousekeeping, runSiteWorkers } from '../app/workers.js';
import type { PlatformConfig } from '../domain/config.js';
import type { Environment } from '../domain/naming.js';
import { queueDefinitions, queueNames } from '../domain/queues.js';
import type { Logger } from '../ports/logger.js';
import type { Runtime, RuntimeEventSink } from '../ports/runtime.js';
import { securePlatformDataDir } from './data-dir.js';
import type { StateSettings } from './state-settings.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { runLimitResponseWatch } from './limit-responses-role.js';
import { runLoginGuard } from './login-guard-role.js';
import { createLogger } from './logger.js';
import { platformFile } from './platform-file.js';
import { openPlatformSecrets, pagingTokenSecret, type PlatformSecrets } from './platform-secrets.js';

export const ROLES = ['api', 'worker', 'events', 'reconciler', 'alarms'] as const;
export type PlatformRole = (typeof ROLES)[number];

/** Makes the runtime the worker drives; `emit` feeds the runtime's events to the event handler. */
export type RuntimeFactory<R extends Runtime = Runtime> = (ctx: { config: PlatformConfig; emit: RuntimeEventSink; logger: Logger; secrets: Secrets; metrics?: Metrics }) => Promise<R>;

/**
 * Makes the WordPress adapter for sites on top of a runtime (absent: site work is unavailable).
 * `H` is what the adapter needs of the runtime: the runtime the factory pair makes must offer it,
 * which the types check (no cast in the composition root).
 */
export type WordPressFactory<H = Runtime> = (ctx: { config: PlatformConfig; runtime: H; logger: Logger; secrets: Secrets; metrics: Metrics }) => WordPress & { close?(): Promise<void> };

/** Makes the backup engine on top of a runtime (absent: backups are listed but not made). */
export type BackupEngineFactory = (ctx: { config: PlatformConfig; runtime: Runtime; logger: Logger; secrets: Secrets; catalog: BackupCatalog }) => BackupEngine;

export interface PlatformOptions<R extends Runtime = Runtime> {
  config: PlatformConfig;
  roles: readonly PlatformRole[];
  /** Needed when the worker role runs. */
  createRuntime?: RuntimeFactory<R>;
  /** Sites need it; created on the runtime when the worker role runs. */
  createWordPress?: WordPressFactory<R>;
  /** Backups need it; created on the runtime when the worker role runs. */
  createBackupEngine?: BackupEngineFactory;
  /** Backup schedule pass interval (default 60 s). */
  backupScheduleIntervalMs?: number;
  logger?: Logger;
  /** Reconciler pass interval (tests shorten it). */
  reconcileIntervalMs?: number;
  /** Lease on a provisioning message; a crashed worker's operation resumes within it (default 30 s). */
  workerLeaseSeconds?: number;
  /** Alarm evaluation interval (default BBWS_ALARM_INTERVAL_SECONDS, 60 s). */
  alarmIntervalMs?: number;
  /** API listen host (default 127.0.0.1). */
  host?: string;
  /** How often the outbox is relayed to the notifier (default 200 ms). */
  outboxRelayIntervalMs?: number;
  /** Clock (epoch ms) of the use cases and of token expiry (default `Date.now`; tests move it instead of sleeping). */
  now?: () => number;
  /** A second metrics sink beside the Prometheus registry (the Lambda handlers: CloudWatch EMF). */
  metricsSink?: Metrics;
  /** Default: `<dataDir>/audit/audit.jsonl` (the audit benchmark passes one that records nothing, as its baseline). */
  auditLog?: AuditLog;
  /** State and queues on DynamoDB and SQS instead of SQLite (main/aws-state.ts; default SQLite). */
  state?: StateSettings;
  /** The api role builds the app without listening (a Lambda handler feeds it events; default true). */
  listen?: boolean;
}

export interface RunningPlatform {
  apiUrl: string | null;
  deps: SiteDeps;
  app: FastifyInstance | null;
  runtime: Runtime | null;
  /** On AWS: the queue subscribed to the notifications topic, and how one of its messages reaches the webhooks (the Lambda worker's route). */
  webhookFeed: { queueName: string; deliver(body: string): Promise<void> } | null;
  stop(): Promise<void>;
}

/** Sends every metric to both sinks. */
function teeMetrics(a: Metrics, b: Metrics): Metrics {
  return {
    increment: (name, labels, value) => (a.increment(name, labels, value), b.increment(name, labels, value)),
    observe: (name, value, labels) => (a.observe(name, value, labels), b.observe(name, value, labels)),
    setGauge: (name, value, labels) => (a.setGauge(name, value, labels), b.setGauge(name, value, labels)),
  };
}

/** Where `bbws` commands find a running platform: written at start, removed at stop. */
export { platformFile };

export async function startPlatform<R extends Runtime = Runtime>(options: PlatformOptions<R>): Promise<RunningPlatform> {
  const { config, roles } = options;
  // First: everything below is created with the private umask, and nothing old stays readable.
  securePlatformDataDir(config.dataDir);
  // The worker role owns the data dir's servers and sockets: only one process may run it (data-dir-lock.ts).
  // Taken first after the modes, so that a refused start touches nothing of the running one's.
  const lock: DataDirLock | null = roles.includes('worker') ? lockDataDir(config.dataDir, roles) : null;
  const logger = options.logger ?? createLogger({ level: config.logLevel, dataDir: config.dataDir, role: roles.join('+'), rotation: config.logRotation });
  const db = openSqliteDatabase(join(config.dataDir, 'state.db'));
  const definitions = queueDefinitions(config.env);
  const opened = await (async () => {
    const platformSecrets = await openPlatformSecrets(options.state, config);
    return { platformSecrets, aws: await openStateOnAws(options.state, platformSecrets, config.env, definitions) };
  })().catch((err: unknown) => {
    db.close();
    lock?.release();
    throw err;
  });
  const { platformSecrets, aws } = opened;
  const queue = aws?.queue ?? createSqliteQueue({ db, definitions });
  const store = aws?.store ?? createSqliteStore({ db, queueDefinitions: definitions, readCache: config.readCache === true });
  const metrics = createPrometheusMetrics();
  // Every metric also goes to the extra sink (Lambda: CloudWatch EMF); alarms and /metrics read the Prometheus one.
  const recorded: Metrics = options.metricsSink ? teeMetrics(metrics, options.metricsSink) : metrics;
  const names = queueNames(config.env);
  const { secrets } = platformSecrets;
  const alarms = createSqliteAlarmStore(db);
  const audit = options.auditLog ?? createJsonlAuditLog({ dir: join(config.dataDir, 'audit'), logger });
  const localActor = { subject: `unix:${process.getuid?.() ?? 'unknown'}`, role: 'local-operator', tenantId: null };
  const recordLifecycle = (action: string) =>
    audit.record({ actor: localActor, sourceIp: 'local', action, target: config.dataDir, tenantId: null, result: { statusCode: 200, errorCode: null }, correlationId: null, details: { roles: roles.join(',') } });
  const webhooks = createWebhookNotifier({ db, logger, metrics: recorded, topic: `bbws-wp-notifications-${config.env}`, secrets });
  // On AWS the notifications go to the SNS topic, which feeds the webhooks (aws-notifications.ts).
  const notifier = aws?.notifications.topic ?? webhooks;
  const deps: SiteDeps = {
    store,
    queue,
    logger,
    metrics: recorded,
    env: config.env,
    baseDomain: config.baseDomain,
    clusterName: config.clusterName,
    queues: names,
    operationDeadlineMs: config.operationDeadlineMinutes * 60_000,
    domains: aws?.domains ?? createSqliteDomainRegistry(db),
    txt: createNodeTxtLookup({ server: config.dnsServer }),
    now: options.now ?? Date.now,
    secrets,
    notifier,
    webhooks,
    templates: createLocalTemplateCatalog({ dir: join(config.dataDir, 'templates') }),
    marketplace: createLocalMarketplace({ dir: join(config.dataDir, 'plugins') }),
    wordpress: null,
    edgePort: config.edgePort,
    backups: {
      catalog: createFileBackupCatalog({ dir: catalogDir(config.dataDir) }),
      engine: null,
      retention: config.backup?.retention ?? DEFAULT_RETENTION,
      schedule: config.backup?.schedule ?? DEFAULT_SCHEDULE,
    },
  };

  const backupProblems = memoizeFor(BACKUP_HEALTH_TTL_MS, deps.now, () => listBackupProblems(deps as BackupDeps));
  const health = () => componentHealth(deps, roles, runtime, config, alarms, backupProblems);
  const abort = new AbortController();
  const loops: Promise<void>[] = [];
  let runtime: Runtime | null = null;
  let wordpress: (WordPress & { close?(): Promise<void> }) | null = null;
  let app: FastifyInstance | null = null;
  let apiUrl: string | null = null;
  let queueClosed = false;
  const stopAll = async () => {
    abort.abort();
    await app?.close();
    // Bounded: jobs still running after a short grace are handed back to the queue (consume-queue.ts).
    await Promise.allSettled(loops);
    // Store and queue close before the servers stop: a handed-back job that then fails because
    // its MariaDB went away must not record that failure (or undo its steps). It resumes instead.
    await webhooks.close();
    queueClosed = true;
    await queue.close();
    await store.close();
    await aws?.close();
    await wordpress?.close?.();
    await runtime?.stop();
    db.close();
    rmSync(platformFile(config.dataDir), { force: true });
    recordLifecycle('PLATFORM_STOP');
    audit.close();
    lock?.release();
  };

  try {
    // Every role may commit notifications (the worker ends site operations, the API promotes).
    loops.push(runOutboxRelay(deps, abort.signal, options.outboxRelayIntervalMs));
    if (roles.includes('api')) loops.push(runAuditRetention({ audit, logger, now: Date.now }, config.auditRetentionDays ?? 365, abort.signal));
    if (roles.includes('worker')) {
      if (!options.createRuntime) throw new Error('The worker role needs a runtime.');
      const emit: RuntimeEventSink = async (event) => {
        // While stopping, the queue closes before the servers do (see stopAll): a report of theirs
        // is dropped. After the restart the health monitor reports every tenant again.
        if (queueClosed) return logger.warn({ action: 'RUNTIME_EVENT', eventName: event.detail.eventName, status: 'DROPPED' }, 'runtime event after the queue closed (stopping): dropped');
        await queue.send({ queue: names.ecsEvents, body: JSON.stringify(event) });
      };
      const started = await options.createRuntime({ config, emit, logger, secrets, metrics: recorded });
      runtime = started;
      const workerDeps: WorkerDeps = { ...deps, runtime };
      loops.push(runLoginGuard(config, { audit, logger, metrics: recorded }, abort.signal));
      loops.push(runLimitResponseWatch(config, { logger, metrics: recorded }, abort.signal));
      loops.push(runProvisioningWorker(workerDeps, abort.signal, { leaseSeconds: options.workerLeaseSeconds }));
      if (options.createWordPress) {
        wordpress = options.createWordPress({ config, runtime: started, logger, secrets, metrics: recorded });
        deps.wordpress = wordpress;
        loops.push(runSiteWorkers(deps, abort.signal, { leaseSeconds: options.workerLeaseSeconds }));
        if (roles.includes('reconciler')) loops.push(runSiteHousekeeping(deps, abort.signal, options.reconcileIntervalMs));
      }
      if (options.createBackupEngine) {
        const backupDeps = deps as BackupDeps;
        backupDeps.backups.engine = options.createBackupEngine({ config, runtime, logger, secrets, catalog: backupDeps.backups.catalog });
        backupDeps.backups.runtime = runtime;
        loops.push(runBackupWorker(backupDeps, abort.signal));
        if (roles.includes('reconciler')) loops.push(runBackupScheduler(backupDeps, abort.signal, options.backupScheduleIntervalMs));
      }
    }
    if (roles.includes('events')) loops.push(runEventWorker(deps, abort.signal));
    if (aws && roles.includes('events')) loops.push(aws.feedWebhooks({ queue, logger, metrics: recorded, webhooks }, abort.signal));
    if (roles.includes('alarms')) {
      const gauges = { metrics, store, now: Date.now, health, diskFreePercent: () => diskFreePercent(config.dataDir), backupProblemTenants: async () => (await backupProblems()).length };
      const evaluator = { alarms, logger, notifier, now: Date.now, readMetrics: () => metrics.snapshot(), beforeTick: () => refreshAlarmGauges(gauges) };
      loops.push(runAlarmEvaluator(evaluator, abort.signal, options.alarmIntervalMs ?? (config.alarmIntervalSeconds ?? 60) * 1000));
    }
    if (roles.includes('reconciler')) loops.push(runReconciler(deps, abort.signal, options.reconcileIntervalMs));
    if (aws && roles.includes('reconciler')) loops.push(aws.sweepOutbox(logger, abort.signal));
    if (roles.includes('api')) {
      const tokens = createTokenAuthority(await platformSecrets.signingKey(), { now: deps.now });
      // Loaded only by the api role: the worker's Lambda bundle then leaves the HTTP stack unloaded.
      const { buildApp } = await import('../http/build-app.js');
      app = await buildApp({
        ...deps,
        tokens,
        rateLimitPerSecond: config.rateLimitPerSecond,
        responseBatching: config.responseBatching === true,
        frozenBodies: config.readCache === true,
        logs: createJsonlLogArchive({ dir: join(config.dataDir, 'logs') }),
        alarms,
        renderMetrics: async () => ({ contentType: metrics.contentType, body: await metrics.render() }),
        health,
        audit,
        certificates: () => (runtime ? runtime.certificates ?? null : undefined),
        tlsMode: config.tls?.mode ?? 'off',
        secretMaxAgeDays: config.secretMaxAgeDays,
      });
    }
    if (app && options.listen !== false) {
      const address = await app.listen({ port: config.apiPort, host: options.host ?? '127.0.0.1' });
      apiUrl = address.replace('[::1]', '127.0.0.1');
      // Atomic: a `bbws` command started meanwhile reads the old file or the whole new one, never half.
      writeFileAtomicSync(platformFile(config.dataDir), JSON.stringify({ apiUrl, pid: process.pid, env: config.env, baseDomain: config.baseDomain, backupRepository: config.backup?.repository ?? null, edgePort: config.edgePort, startedAt: new Date().toISOString() }, null, 2), 0o600);
    }
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
  await warnOfOverdueSecrets(deps, logger, config.secretMaxAgeDays ?? DEFAULT_SECRET_MAX_AGE_DAYS);
  recordLifecycle('PLATFORM_START');
  logger.info({ action: 'START', status: 'OK', roles, apiUrl, dataDir: config.dataDir, env: config.env }, `bbws started (${roles.join(', ')})`);
  let stopping: Promise<void> | null = null;
  return {
    apiUrl,
    deps,
    app,
    webhookFeed: aws?.webhookFeed(webhooks) ?? null,
    runtime,
    stop: () => (stopping ??= stopAll().then(() => logger.info({ action: 'STOP', status: 'OK' }, 'bbws stopped'))),
  };
}

/** `bbws up` warns at start of every rotatable secret older than the policy (/health shows it degraded). */
async function warnOfOverdueSecrets(deps: SiteDeps, logger: Logger, maxAgeDays: number): Promise<void> {
  const overdue = (await listSecretAges(deps, maxAgeDays).catch(() => [])).filter((s) => s.overdue);
  if (!overdue.length) return;
  logger.warn(
    { action: 'SECRETS_OVERDUE', status: 'WARN', secrets: overdue.map((s) => s.name) },
    `${overdue.length} secret(s) older than the rotation policy (${maxAgeDays} days): ${overdue.map((s) => `${s.name} (${s.ageDays} d): ${s.rotateWith}`).join('; ')}`,
  );
}

/** DynamoDB + SQS when asked for; the paging-token key derives from the platform's signing key. */
async function openStateOnAws(state: StateSettings | undefined, platformSecrets: PlatformSecrets, env: Environment, definitions: ReturnType<typeof queueDefinitions>) {
  if (!state || state.state === 'sqlite') return null;
  const [{ openAwsState, runOutboxSweep }, { runWebhookFeed, deliverTopicMessage }] = await Promise.all([import('./aws-state.js'), import('./aws-notifications.js')]);
  const tokenSecret = pagingTokenSecret(await platformSecrets.signingKey());
  const opened = await openAwsState(state, definitions, { env, tokenSecret });
  return {
    ...opened,
    sweepOutbox: (logger: Logger, signal: AbortSignal) => runOutboxSweep(opened.store, logger, signal),
    feedWebhooks: (deps: Parameters<typeof runWebhookFeed>[0], signal: AbortSignal) => runWebhookFeed(deps, opened.notifications.queueName, signal),
    webhookFeed: (webhooks: Notifier) => ({ queueName: opened.notifications.queueName, deliver: (body: string) => deliverTopicMessage(body, webhooks) }),
  };
}
