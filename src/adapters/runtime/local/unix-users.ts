/**
 * Unix users and groups for tenants and for the edge's workers (root only). Isolation between
 * tenants rests on them: each tenant's PHP runs as its own user, and its files are readable by
 * that user and by the web group of nginx's workers, not by other tenants.
 * useradd/userdel lock /etc/passwd, so calls are serialised within the process and retried.
 */
import { readFile } from 'node:fs/promises';
import { ExecError, run } from './exec.js';
import { safeName } from './escape.js';
import { serialLane } from '../../serial-lane.js';

const lane = serialLane();
const serialised = <T>(fn: () => Promise<T>): Promise<T> => lane.run(fn);

async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      // Another process (e.g. a parallel test's runtime) holds the passwd lock.
      // userdel exit 8: a process of the user is still exiting (a stopped php-fpm worker).
      if (attempt < 20 && e instanceof ExecError && (/lock/i.test(e.stderr) || e.exitCode === 8)) {
        await new Promise((r) => setTimeout(r, 50 + attempt * 50));
        continue;
      }
      throw e;
    }
  }
}

export interface UnixIds {
  uid: number;
  gid: number;
}

/**
 * uid/gid of `name` from /etc/passwd, where useradd writes it. Reading the file is ~0.1 ms; each
 * `getent` spawn was 5–50 ms on this 2-core host under load, three per tenant (bench).
 */
async function fromPasswdFile(name: string): Promise<UnixIds | undefined> {
  const text = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const line = text.split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** uid/gid of `name`, or undefined when there is no such user (/etc/passwd first, then NSS). */
export async function lookupUser(name: string): Promise<UnixIds | undefined> {
  safeName(name);
  const local = await fromPasswdFile(name);
  if (local) return local;
  try {
    const { stdout } = await run('getent', ['passwd', safeName(name)]);
    const f = stdout.trim().split(':');
    return { uid: Number(f[2]), gid: Number(f[3]) };
  } catch (e) {
    if (e instanceof ExecError && e.exitCode === 2) return undefined;
    throw e;
  }
}

export async function lookupGroup(name: string): Promise<number | undefined> {
  try {
    const { stdout } = await run('getent', ['group', safeName(name)]);
    return Number(stdout.trim().split(':')[2]);
  } catch (e) {
    if (e instanceof ExecError && e.exitCode === 2) return undefined;
    throw e;
  }
}

/**
 * The uid/gid range of the users bbws creates. Debian's system range (100–999) holds fewer than
 * 900 accounts, shared with the packages' own: useradd failed at tenant ~890 of the 1,000-tenant
 * bench ("Can't get unique GID"). This range is outside the human users (1000–60000), systemd's
 * dynamic users (61184–65519), the subordinate ids useradd hands out (from 100000) and
 * systemd-nspawn's container ranges (524288–1879048191), and below 2^31 so that no tool reads it
 * as negative. useradd picks from it with `-K` overrides of login.defs; it does not scan it.
 */
export const BBWS_ID_RANGE = { min: 1_900_000_000, max: 1_900_999_999 } as const;
const RANGE_ARGS = ['UID', 'GID'].flatMap((k) => ['-K', `SYS_${k}_MIN=${BBWS_ID_RANGE.min}`, '-K', `SYS_${k}_MAX=${BBWS_ID_RANGE.max}`]);

/** A system user with its own group, no home and no login shell, in {@link BBWS_ID_RANGE}. Idempotent. */
export function ensureSystemUser(name: string): Promise<UnixIds> {
  return serialised(async () => {
    const existing = await fromPasswdFile(safeName(name));
    if (existing) return existing;
    try {
      await withRetry(() => run('useradd', ['--system', ...RANGE_ARGS, '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--user-group', safeName(name)]));
    } catch (e) {
      // Exit 9: the name exists (in NSS, not in /etc/passwd): that user is ours to use, as before.
      if (!(e instanceof ExecError && e.exitCode === 9)) throw e;
    }
    const created = await lookupUser(name);
    if (!created) throw new Error(`useradd ${name} succeeded but the user is not visible`);
    return created;
  });
}

/** Removes the user and its group. Idempotent. */
export function removeSystemUser(name: string): Promise<void> {
  return serialised(async () => {
    if (await lookupUser(name)) await withRetry(() => run('userdel', [safeName(name)]));
    // userdel removes the user's private group; remove it explicitly when it survived.
    if ((await lookupGroup(name)) !== undefined) await withRetry(() => run('groupdel', [safeName(name)])).catch(() => undefined);
  });
}

/** Names of all users starting with `prefix` (test cleanup, hard teardown of a data dir). */
export async function listUsers(prefix: string): Promise<string[]> {
  const { stdout } = await run('getent', ['passwd']);
  return stdout
    .split('\n')
    .map((l) => l.split(':')[0])
    .filter((n): n is string => !!n && n.startsWith(prefix));
}
