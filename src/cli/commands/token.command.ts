/**
 * `bbws token create`: prints a JWT (and nothing else) signed with the platform's key (the data
 * dir's, or with `--secrets secretsmanager` the one in Secrets Manager, main/platform-secrets.ts). Each token
 * gets a subject of its own unless `--subject` says otherwise, so scripts holding different tokens
 * do not share one rate-limit bucket (all were `operator` before).
 */
import type { Command } from 'commander';
import type { Role } from '../../domain/auth.js';
import { CliError } from '../api-client.js';
import { dataDirOf } from './common.js';

export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('API tokens');
  token
    .command('create')
    .description('print a JWT for the API')
    .requiredOption('--role <role>', 'platform-admin or tenant-admin')
    .option('--tenant <id>', 'tenant id (tenant-admin)')
    .option('--ttl <ttl>', 'lifetime: 30s, 15m, 1h, 7d', '1h')
    .option('--secrets <store>', 'local or secretsmanager: where the signing key lives (BBWS_SECRETS, default local)')
    .option('--env <env>', 'dev, sit or prod: names the Secrets Manager key (BBWS_ENV, default dev)')
    .option('--subject <name>', 'who the token is for (default operator:<random>, or tenant:<id>:<random>); tokens with one subject share its rate limit and idempotency keys')
    .action(async (opts: { role: string; tenant?: string; ttl: string; subject?: string; secrets?: string; env?: string; dataDir?: string }) => {
      if (opts.subject !== undefined && !/^[A-Za-z0-9._@:-]{1,100}$/.test(opts.subject)) throw new CliError('--subject must be 1-100 letters, digits or . _ @ : -', 2);
      const { parseTtl, signToken, uniqueSubject } = await import('../../adapters/auth/jwt-sign.js');
      const subject = opts.subject ?? uniqueSubject(opts.tenant ? `tenant:${opts.tenant}` : 'operator');
      const [{ openPlatformSecrets }, { parseStateSettings }, { isEnvironment }] = await Promise.all([
        import('../../main/platform-secrets.js'),
        import('../../main/state-settings.js'),
        import('../../domain/naming.js'),
      ]);
      const env = opts.env ?? process.env.BBWS_ENV ?? 'dev';
      if (!isEnvironment(env)) throw new CliError(`--env must be dev, sit or prod, got "${env}"`, 2);
      const settings = parseStateSettings({ secrets: opts.secrets }, env);
      const key = await (await openPlatformSecrets(settings, { dataDir: dataDirOf(opts), env })).signingKey();
      const jwt = signToken(key, { role: opts.role as Role, tenantId: opts.tenant ?? null, subject }, parseTtl(opts.ttl));
      const { recordLocalAction } = await import('./local-audit.js');
      recordLocalAction(dataDirOf(opts), 'TOKEN_CREATE', subject, opts.tenant ?? null, { role: opts.role, ttl: opts.ttl });
      process.stdout.write(`${jwt}\n`);
    });
}
