/**
 * Rotation of a tenant's database password with no failed request during the switch
 * (`bbws secrets rotate T --db`, docs/backups.md "Secrets"):
 *
 * 1. a new password is generated and kept in the credentials secret as `pendingPassword` first
 *    (a crash from here on never loses it; the next run continues with it);
 * 2. MariaDB accepts both the old and the new password (two authentication methods on the user);
 * 3. wp-config.php is rewritten with the new one (candidate, `php -l`, rename);
 * 4. confirm: once php-fpm's opcode cache has looked at the file again (`opcache.revalidate_freq`,
 *    2 s), a login with the new password and a request through the tenant's route must succeed;
 * 5. only then MariaDB drops the old password, and the secret keeps the new one alone.
 *
 * Every request meanwhile connects with either password, both accepted; connections already open
 * stay open. Each step may run again after a crash and converges.
 */
import { randomBytes } from 'node:crypto';
import { names } from '../../../domain/naming.js';
import { safeTenantId } from './escape.js';
import { run } from './exec.js';
import { readCredentials, writeTenantWpConfig, type DbCredentials, type StepContext } from './tenant-steps.js';

/** PHP's default `opcache.revalidate_freq` (2 s; bbws does not change it) plus a margin. */
export const OPCACHE_SETTLE_MS = 3_000;

/** Logs in as the tenant user with `password` (given in the client's environment, never on argv). */
async function confirmLogin(creds: DbCredentials, password: string): Promise<void> {
  await run('mariadb', ['--no-defaults', '--protocol=TCP', '-h', creds.host, '-P', String(creds.port), '-u', creds.username, '--batch', '--skip-column-names', creds.dbname], {
    input: 'SELECT 1;',
    env: { MYSQL_PWD: password },
    timeoutMs: 15_000,
  });
}

export async function rotateDatabasePassword(ctx: StepContext, tenantId: string, progress: (step: string) => void = () => undefined, settleMs = OPCACHE_SETTLE_MS): Promise<void> {
  const t = safeTenantId(tenantId);
  const secretName = names.dbCredentialsSecret(ctx.config.env, t);
  progress('keep the new password in the secret store');
  let creds = await readCredentials(ctx, t);
  if (!creds.pendingPassword) {
    creds = { ...creds, pendingPassword: randomBytes(24).toString('base64url') };
    await ctx.secrets.put(secretName, JSON.stringify(creds));
  }
  const next = creds.pendingPassword!;
  progress('let MariaDB accept the old and the new password');
  await ctx.db.setTenantPasswords(creds.username, [next, creds.password]);
  progress('write wp-config.php with the new password');
  await writeTenantWpConfig(ctx, t, next);
  progress('confirm the new password is in use');
  await new Promise((r) => setTimeout(r, settleMs));
  await confirmLogin(creds, next);
  const host = names.defaultHostname(ctx.config.env, t, ctx.config.baseDomain);
  let answer = await ctx.probe(t, host);
  // 429 is the edge's rate limit answering before PHP: it says nothing of the password; ask again.
  for (let i = 0; i < 20 && answer.status === 429; i++) {
    await new Promise((r) => setTimeout(r, 250));
    answer = await ctx.probe(t, host);
  }
  if (!answer.ok) throw new Error(`after the switch http://${host}/ answered ${answer.error ?? `HTTP ${answer.status}`}: the old password is still accepted; run the rotation again once the site answers`);
  progress('drop the old password');
  await ctx.db.setTenantPasswords(creds.username, [next]);
  const { pendingPassword: _done, ...rest } = creds;
  await ctx.secrets.put(secretName, JSON.stringify({ ...rest, password: next }));
  ctx.logger.info({ tenantId: t, action: 'SECRET_ROTATED', secret: secretName }, 'database password rotated');
}
