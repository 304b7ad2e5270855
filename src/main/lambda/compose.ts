/**
 * The composition root of the Lambda handlers: the same platform (main/platform.ts) on DynamoDB
 * and SQS, made once per Lambda instance (at the first invocation, kept while the instance
 * lives), with no role's loops and no listening socket. Settings come from the environment
 * (BBWS_STATE defaults to dynamodb and BBWS_SECRETS to secretsmanager here, so that every instance
 * signs with one JWT key and reads one set of tenant credentials; main/state-settings.ts,
 * main/platform-secrets.ts); the data dir, for what still has
 * no AWS adapter (custom-domain claims, webhook subscriptions, templates, plugin packages), is
 * BBWS_DATA_DIR or /tmp/bbws (docs/aws.md "Lambda").
 */
import { createEmfMetrics, type EmfMetrics } from '../../adapters/metrics/cloudwatch-emf.js';
import { parseConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startPlatform, type PlatformRole, type RunningPlatform } from '../platform.js';
import { parseStateSettings } from '../state-settings.js';

const started = new Map<string, Promise<RunningPlatform>>();
/** Every platform of this instance records its metrics here too, as CloudWatch EMF lines. */
let emf: EmfMetrics | null = null;

/**
 * Runs one invocation's work, then writes the metrics it recorded as EMF lines (namespace
 * BBWS/WPTechnical) before the invocation ends, whether it succeeded or threw.
 */
export async function withMetrics<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    await emf?.flush();
  }
}

/** The platform of this Lambda instance; `roles` decides only whether the API app is built. */
export function lambdaPlatform(roles: readonly PlatformRole[] = []): Promise<RunningPlatform> {
  const key = roles.join('+');
  let platform = started.get(key);
  if (!platform) {
    platform = (async () => {
      const vars = { BBWS_STATE: 'dynamodb', BBWS_SECRETS: 'secretsmanager', ...process.env };
      const config = parseConfig({ dataDir: process.env.BBWS_DATA_DIR || '/tmp/bbws' }, vars);
      const state = parseStateSettings({}, config.env, vars);
      // Lambda's own REPORT line follows each invocation; ours go to stdout as JSON lines.
      const logger = createLogger({ level: config.logLevel, dataDir: config.dataDir, role: `lambda:${key || 'worker'}` });
      emf ??= createEmfMetrics({ environment: config.env, target: process.env.AWS_LAMBDA_FUNCTION_NAME ? 'Lambda' : 'Local', onError: (err) => logger.warn({ action: 'EMF_FLUSH', status: 'ERROR', err: String(err) }, 'metrics not written') });
      return startPlatform({ config, roles, state, logger, listen: false, metricsSink: emf });
    })();
    // A failed start is not kept: the next invocation tries again.
    platform.catch(() => started.delete(key));
    started.set(key, platform);
  }
  return platform;
}
