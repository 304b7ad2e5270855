/**
 * `bbws token create`: prints a JWT (and nothing else) signed with the data dir's key.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import type { Role } from '../../domain/auth.js';
import { dataDirOf } from './common.js';

export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('API tokens');
  token
    .command('create')
    .description('print a JWT for the API')
    .requiredOption('--role <role>', 'platform-admin or tenant-admin')
    .option('--tenant <id>', 'tenant id (tenant-admin)')
    .option('--ttl <ttl>', 'lifetime: 30s, 15m, 1h, 7d', '1h')
    .action(async (opts: { role: string; tenant?: string; ttl: string; dataDir?: string }) => {
      const { createTokenAuthority, loadOrCreateSigningKey, parseTtl } = await import('../../adapters/auth/jwt.js');
      const authority = createTokenAuthority(loadOrCreateSigningKey(join(dataDirOf(opts), 'jwt.key')));
      const jwt = await authority.sign({ role: opts.role as Role, tenantId: opts.tenant ?? null }, parseTtl(opts.ttl));
      process.stdout.write(`${jwt}\n`);
    });
}
