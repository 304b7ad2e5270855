/**
 * `bbws perf-test --type basic|load|stress|spike [--users N] [--duration S] [--target api|sites|all]`
 * (seed 002 "Performance Testing"). Only this platform's addresses: the API and edge named by the
 * data dir's platform.json, which must be loopback. Exits 1 when a threshold fails.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../api-client.js';
import type { LoadTarget } from '../perf/load-run.js';
import { platformFile } from '../../main/platform-file.js';
import { printJson } from '../output.js';
import { clientFor, dataDirOf, type CommonOptions } from './common.js';

interface PerfCommandOptions extends CommonOptions {
  type: string;
  users: string;
  duration: string;
  target: string;
  siteAuth?: string;
}

const API_READS = ['/health', '/v1.0/tenants', '/v1.0/templates', '/v1.0/plugins', '/v1.0/admin/queues', '/v1.0/admin/operations/open'];
/** Each user is a token of its own at this pace, under the API's 100 requests/s per token. */
const API_USER_RATE = 80;

function positiveInt(name: string, value: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError(`--${name} must be a whole number from 1 to ${max} (got "${value}").`, 2);
  return n;
}

export function registerPerfTestCommand(program: Command): void {
  program.command('perf-test').description("performance test of this platform's API and sites against the seed's thresholds (p95 < 500 ms, errors < 1 %)")
    .option('--type <type>', 'basic | load | stress | spike', 'basic')
    .option('--users <n>', 'concurrent users (stress: the most it ramps to)', '10')
    .option('--duration <seconds>', 'seconds per run (spike: the whole run)', '5')
    .option('--target <target>', 'api | sites | all', 'all')
    .option('--site-auth <user:password>', 'basic auth for the sites of a sit or prod platform')
    .action(async (opts: PerfCommandOptions) => {
      const { PERF_TYPES, runPerfTest } = await import('../perf/run-perf-test.js');
      if (!(PERF_TYPES as readonly string[]).includes(opts.type)) throw new CliError(`--type must be one of ${PERF_TYPES.join(', ')} (got "${opts.type}").`, 2);
      if (!['api', 'sites', 'all'].includes(opts.target)) throw new CliError(`--target must be api, sites or all (got "${opts.target}").`, 2);
      const users = positiveInt('users', opts.users, 1000);
      const durationS = positiveInt('duration', opts.duration, 3600);
      const dataDir = dataDirOf(opts);
      if (!existsSync(platformFile(dataDir))) throw new CliError(`No running platform for ${dataDir}: start it with \`bbws up --data-dir ${dataDir}\`.`);
      const platform = JSON.parse(readFileSync(platformFile(dataDir), 'utf8')) as { apiUrl: string; edgePort: number };
      const api = new URL(platform.apiUrl);
      if (!/^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(api.hostname)) throw new CliError(`perf-test only loads this host's own platform; ${platform.apiUrl} is not a loopback address.`, 2);
      const targets: LoadTarget[] = [];
      if (opts.target !== 'sites') {
        const { createTokenAuthority, loadOrCreateSigningKey } = await import('../../adapters/auth/jwt.js');
        const authority = createTokenAuthority(loadOrCreateSigningKey(join(dataDir, 'jwt.key')));
        const ttl = durationS * 4 + 300;
        const tokens = await Promise.all(Array.from({ length: Math.min(users * 10, 1000) }, (_, i) => authority.sign({ role: 'platform-admin', subject: `perf-test:${i}` }, ttl)));
        const perConnection = tokens.map((t) => ({ authorization: `Bearer ${t}` }));
        for (const path of API_READS) targets.push({ name: `GET ${path}`, url: `${platform.apiUrl}${path}`, headers: {}, perConnection, connectionRate: API_USER_RATE });
      }
      if (opts.target !== 'api') {
        const { items } = await (await clientFor(opts)).request<{ items: { domainName: string; instance: { provisioningState: string; limits?: { requestsPerSecond?: number } } | null }[] }>('GET', '/v1.0/tenants?limit=100');
        const site = items.find((t) => t.instance?.provisioningState === 'ACTIVE');
        if (!site) {
          if (opts.target === 'sites') throw new CliError('No ACTIVE tenant to load: create one (bbws tenants create NAME --wait) or use --target api.');
        } else {
          const auth: Record<string, string> = opts.siteAuth ? { authorization: `Basic ${Buffer.from(opts.siteAuth).toString('base64')}` } : {};
          // The edge answers 429 past the tenant's request rate (docs/limits.md): the users share 90 % of it,
          // so the figures are the site's, not the limit's.
          const tenantRate = site.instance?.limits?.requestsPerSecond;
          const connectionRate = tenantRate ? Math.max(1, Math.floor((tenantRate * 0.9) / users)) : undefined;
          targets.push({ name: `site ${site.domainName}`, url: `http://127.0.0.1:${platform.edgePort}/`, headers: { host: `${site.domainName}:${platform.edgePort}`, ...auth }, connectionRate });
        }
      }
      const { formatPerfText, savePerfReport } = await import('../perf/perf-report.js');
      const abort = new AbortController();
      const onSigint = () => abort.abort();
      process.once('SIGINT', onSigint);
      const report = await runPerfTest({ type: opts.type as (typeof PERF_TYPES)[number], users, durationS, targets, progress: (m) => process.stderr.write(`${m}\n`), signal: abort.signal }).finally(() => process.off('SIGINT', onSigint));
      const files = savePerfReport(dataDir, report);
      process.exitCode = report.pass ? 0 : 1;
      if (opts.json) return printJson({ ...report, files });
      process.stdout.write(`${formatPerfText(report)}report: ${files.join(', ')}\n`);
    });
}
