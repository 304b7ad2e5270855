/**
 * `security-scan --type infrastructure`: listening sockets and their bind addresses (ss), the
 * embedded MariaDB's accounts and grants (through its socket, as its administrator), and the
 * tenants' Unix users (getent, id).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { sqlString } from '../../adapters/runtime/local/escape.js';
import { layoutAt, runtimeRootOf } from '../../adapters/runtime/local/layout.js';
import type { Finding } from './findings.js';

const run = promisify(execFile);
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|::1|\[::ffff:127\.\d+\.\d+\.\d+\])$/;

export interface Ports {
  api: number | null;
  edge: number | null;
  mariadb: number | null;
}

export function platformPorts(dataDir: string, apiUrl: string | null, edgePort: number | null): Ports {
  const portFile = layoutAt(runtimeRootOf(dataDir)).mariadbPortFile;
  return {
    api: apiUrl ? Number(new URL(apiUrl).port) : null,
    edge: edgePort,
    mariadb: existsSync(portFile) ? Number(readFileSync(portFile, 'utf8').trim()) : null,
  };
}

/** `ss -ltnH`: each listening TCP socket of the platform's ports, on a non-loopback address, is a finding (the edge's only a note). */
export async function scanListeners(ports: Ports): Promise<Finding[]> {
  const { stdout } = await run('ss', ['-ltnH'], { timeout: 10_000 });
  const out: Finding[] = [];
  for (const line of stdout.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    if (!local) continue;
    const cut = local.lastIndexOf(':');
    const host = local.slice(0, cut).replace(/%\S+$/, '');
    const port = Number(local.slice(cut + 1));
    if (LOOPBACK.test(host)) continue;
    if (port === ports.mariadb) out.push({ ruleId: 'BBWS-NET-001', severity: 'critical', message: `MariaDB listens on ${local}: tenant databases are reachable from the network`, location: local });
    else if (port === ports.api) out.push({ ruleId: 'BBWS-NET-001', severity: 'high', message: `the API listens on ${local}`, location: local });
    else if (port === ports.edge) out.push({ ruleId: 'BBWS-NET-001', severity: 'info', message: `the edge listens on ${local} (--edge-host): tenants are served to other machines`, location: local });
  }
  return out;
}

async function sql(socket: string, query: string): Promise<string[][]> {
  const { stdout } = await run('mariadb', ['--no-defaults', `--socket=${socket}`, '--user=root', '-N', '-B', '-r', '-e', query], { timeout: 30_000 });
  return stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

/** Accounts of the embedded MariaDB: no anonymous account, root on the socket only, each tenant user on its own database only. */
export async function scanDatabaseAccounts(dataDir: string): Promise<Finding[]> {
  const socket = layoutAt(runtimeRootOf(dataDir)).mariadbSocket;
  if (!existsSync(socket)) return [{ ruleId: 'BBWS-DB-001', severity: 'info', message: `the embedded MariaDB is not running (no ${socket}): accounts not checked`, location: socket }];
  const out: Finding[] = [];
  for (const [user, host] of await sql(socket, 'SELECT User, Host FROM mysql.user')) {
    const account = `'${user}'@'${host}'`;
    const quoted = `${sqlString(user)}@${sqlString(host)}`;
    if (user === '') {
      out.push({ ruleId: 'BBWS-DB-001', severity: 'critical', message: `anonymous account ${account}`, location: account });
      continue;
    }
    if (user === 'root' || user === 'mariadb.sys' || user === 'mysql') {
      if (user !== 'root') continue;
      // Socket only: localhost, unix_socket, and no password hash (MariaDB's 'invalid' is no password).
      const [[create = '']] = await sql(socket, `SHOW CREATE USER ${quoted}`);
      if (host !== 'localhost' || !/unix_socket/.test(create) || /USING '\*[0-9A-F]{40}'/.test(create)) out.push({ ruleId: 'BBWS-DB-001', severity: 'critical', message: `${account} can log in other than through the socket: ${create}`, location: account });
      continue;
    }
    const own = /^([a-z0-9]+)_user$/.exec(user)?.[1];
    for (const [grant] of await sql(socket, `SHOW GRANTS FOR ${quoted}`)) {
      if (/^GRANT USAGE ON \*\.\* TO/.test(grant)) continue;
      // A database name in a grant is a pattern: SHOW GRANTS escapes its underscores (`a\_db`).
      const on = (/^GRANT .+ ON (\S+) TO/.exec(grant)?.[1] ?? '?').replaceAll('\\_', '_');
      if (own && on === `\`${own}_db\`.*`) continue;
      out.push({ ruleId: 'BBWS-DB-001', severity: 'critical', message: `${account} has a grant outside its own database: ${grant}`, location: account });
    }
  }
  return out;
}

/** Tenant Unix users (bw<instance>-<tenant>): no login shell, no privileged group. */
export async function scanTenantUsers(dataDir: string): Promise<Finding[]> {
  const idFile = layoutAt(runtimeRootOf(dataDir)).instanceIdFile;
  if (!existsSync(idFile)) return [];
  const prefix = `bw${readFileSync(idFile, 'utf8').trim()}-`;
  const { stdout } = await run('getent', ['passwd'], { timeout: 10_000 });
  const out: Finding[] = [];
  for (const line of stdout.split('\n')) {
    const [name, , , , , , shell] = line.split(':');
    if (!name?.startsWith(prefix) || name === `${prefix}web`) continue;
    if (!/\/(nologin|false)$/.test(shell ?? '')) out.push({ ruleId: 'BBWS-UNIX-001', severity: 'high', message: `${name} has the login shell ${shell}`, location: name });
    const groups = (await run('id', ['-Gn', name], { timeout: 10_000 })).stdout.trim().split(/\s+/);
    const privileged = groups.filter((g) => ['sudo', 'adm', 'root', 'wheel', 'disk', 'shadow', `${prefix}web`].includes(g));
    if (privileged.length) out.push({ ruleId: 'BBWS-UNIX-001', severity: 'high', message: `${name} is in ${privileged.join(', ')}`, location: name });
  }
  return out;
}
