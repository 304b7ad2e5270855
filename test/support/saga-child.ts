/**
 * Child process for the kill -9 saga test: runs the real platform on a data dir with the
 * scripted runtime double (slow steps: 400 ms, or argv[3] ms), prints its API URL, and waits to be
 * killed (state and queues per BBWS_STATE/BBWS_QUEUES, SQLite by default). On SIGTERM it stops the platform as `bbws up` does and exits 0.
 */
import { parseConfig } from '../../src/main/config.js';
import { createLogger } from '../../src/main/logger.js';
import { startPlatform } from '../../src/main/platform.js';
import { parseStateSettings } from '../../src/main/state-settings.js';
import { createScriptedRuntime } from './scripted-runtime.js';

const dataDir = process.argv[2];
const config = parseConfig({ dataDir, apiPort: 0, edgePort: 0 }, { BBWS_RATE_LIMIT: '0' });
const platform = await startPlatform({
  config,
  roles: ['api', 'worker', 'events', 'reconciler'],
  // BBWS_STATE etc. from the environment: the same test runs on DynamoDB + SQS (platform-aws.test.ts).
  state: parseStateSettings({}, config.env),
  logger: createLogger({ level: 'info', dataDir, stdout: false }),
  workerLeaseSeconds: 2,
  createRuntime: async ({ emit }) => {
    const rt = createScriptedRuntime(emit);
    rt.stepDelayMs = Number(process.argv[3] ?? 400);
    return rt;
  },
});
process.once('SIGTERM', () => void platform.stop().then(() => process.exit(0)));
process.stdout.write(`${platform.apiUrl}\n`);
setInterval(() => undefined, 1 << 30);
