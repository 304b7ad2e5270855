/**
 * `security-scan --type basic`: the platform's dependency audit (npm audit), then configuration:
 * modes of the data dir (state, logs, keys, secrets, audit log), tenants' wp-config.php, PHP's
 * display_errors and expose_php, nginx's server_tokens, basic auth on every route in sit and prod.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { layoutAt, runtimeRootOf, tenantPaths } from '../../adapters/runtime/local/layout.js';
import { findExposedEntries } from '../../main/data-dir.js';
import type { Finding, Severity } from './findings.js';

const run = promisify(execFile);

export interface ScanContext {
  dataDir: string;
  env: string;
  edgePort: number | null;
}

/** The directory of bbws's package.json (where npm audit runs). */
function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) if (existsSync(join(dir, 'package-lock.json'))) return dir;
  throw new Error('no package-lock.json above the bbws code');
}

const NPM_SEVERITY: Record<string, Severity> = { critical: 'critical', high: 'high', moderate: 'medium', low: 'low', info: 'info' };

export async function auditDependencies(): Promise<Finding[]> {
  let out: string;
  try {
    out = (await run('npm', ['audit', '--omit=dev', '--json'], { cwd: packageRoot(), timeout: 90_000, maxBuffer: 64 * 1024 ** 2 })).stdout;
  } catch (err) {
    // npm audit exits 1 when it finds something; its JSON is still on stdout.
    out = (err as { stdout?: string }).stdout ?? '';
    if (!out.trim().startsWith('{')) return [{ ruleId: 'BBWS-DEP-000', severity: 'info', message: `npm audit did not run: ${((err as Error).message || '').split('\n')[0].slice(0, 200)}` }];
  }
  const report = JSON.parse(out) as { vulnerabilities?: Record<string, { severity: string; via: ({ title?: string; url?: string } | string)[]; fixAvailable: unknown }>; error?: { summary?: string }; message?: string };
  if (report.error) return [{ ruleId: 'BBWS-DEP-000', severity: 'info', message: `npm audit failed: ${report.error.summary || report.message || 'unknown error'}` }];
  return Object.entries(report.vulnerabilities ?? {}).map(([name, v]) => ({
    ruleId: 'BBWS-DEP-001',
    severity: NPM_SEVERITY[v.severity] ?? 'medium',
    message: `${name}: ${v.via.map((x) => (typeof x === 'string' ? `via ${x}` : `${x.title ?? ''} ${x.url ?? ''}`.trim())).join('; ')}${v.fixAvailable ? ' (fix available)' : ''}`,
    location: `npm:${name}`,
  }));
}

const SECRET_ENTRIES = /\/(secrets|jwt\.key|audit)(\/|$)/;

export function scanDataDirModes(dataDir: string): Finding[] {
  return findExposedEntries(dataDir).map((e) => ({
    ruleId: 'BBWS-FS-001',
    severity: SECRET_ENTRIES.test(e.path.slice(dataDir.length)) ? 'critical' : 'high',
    message: `${e.path} has mode 0${e.mode.toString(8)}: other users may read or write it`,
    location: e.path,
  }));
}

function tenantIds(dataDir: string): string[] {
  const dir = layoutAt(runtimeRootOf(dataDir)).tenantsDir;
  return existsSync(dir) ? readdirSync(dir).filter((n) => /^[a-z0-9]+$/.test(n)) : [];
}

export function scanWpConfigs(dataDir: string): Finding[] {
  const layout = layoutAt(runtimeRootOf(dataDir));
  const out: Finding[] = [];
  for (const t of tenantIds(dataDir)) {
    const file = tenantPaths(layout, t).wpConfig;
    if (!existsSync(file)) continue;
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o007) out.push({ ruleId: 'BBWS-FS-002', severity: 'critical', message: `${file} (tenant ${t}) has mode 0${mode.toString(8)}: every local user can read its database password`, location: file });
  }
  return out;
}

/** Pool sections of the php-fpm masters' configs: each must turn display_errors off. */
export function scanPhpFpmConfigs(dataDir: string): Finding[] {
  const dir = layoutAt(runtimeRootOf(dataDir)).phpFpmDir;
  if (!existsSync(dir)) return [];
  const out: Finding[] = [];
  for (const name of readdirSync(dir).filter((n) => /^shard-\d+\.conf$/.test(n))) {
    const file = join(dir, name);
    const text = readFileSync(file, 'utf8');
    for (const section of text.split(/^(?=\[[^\]]+\]\s*$)/m)) {
      const pool = /^\[([^\]]+)\]/.exec(section)?.[1];
      if (!pool || pool === 'global') continue;
      if (!/^php_admin_flag\[display_errors\]\s*=\s*off\s*$/m.test(section)) out.push({ ruleId: 'BBWS-PHP-002', severity: 'high', message: `pool ${pool} in ${file} does not set php_admin_flag[display_errors] = off`, location: file });
    }
    if (/expose_php\s*=\s*(1|on)/i.test(text)) out.push({ ruleId: 'BBWS-PHP-001', severity: 'low', message: `${file} turns expose_php on`, location: file });
  }
  return out;
}

/** nginx.conf of the edge: server_tokens off; in sit and prod, basic auth on every tenant route. */
export function scanEdgeConfig(dataDir: string, env: string): Finding[] {
  const layout = layoutAt(runtimeRootOf(dataDir));
  const conf = join(layout.edgeDir, 'nginx.conf');
  const out: Finding[] = [];
  if (existsSync(conf) && !/^\s*server_tokens\s+off\s*;/m.test(readFileSync(conf, 'utf8'))) out.push({ ruleId: 'BBWS-NGX-001', severity: 'low', message: `${conf} does not say server_tokens off`, location: conf });
  if ((env === 'sit' || env === 'prod') && existsSync(layout.edgeRoutes)) {
    for (const name of readdirSync(layout.edgeRoutes).filter((n) => n.endsWith('.conf'))) {
      const file = join(layout.edgeRoutes, name);
      if (!/^\s*auth_basic\s+"/m.test(readFileSync(file, 'utf8'))) out.push({ ruleId: 'BBWS-AUTH-001', severity: 'high', message: `route ${name} of a ${env} platform has no basic auth`, location: file });
    }
  }
  return out;
}

/** What the edge answers a request for a tenant: an X-Powered-By or a versioned Server header. */
export async function probeEdgeHeaders(dataDir: string, edgePort: number | null): Promise<Finding[]> {
  const routes = layoutAt(runtimeRootOf(dataDir)).edgeRoutes;
  const first = existsSync(routes) ? readdirSync(routes).find((n) => n.endsWith('.conf')) : undefined;
  const host = first ? /^\s*server_name\s+([^\s;]+)/m.exec(readFileSync(join(routes, first), 'utf8'))?.[1] : undefined;
  if (edgePort === null || !host) return [];
  const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve) => {
    const req = request({ host: '127.0.0.1', port: edgePort, path: '/wp-login.php', method: 'HEAD', timeout: 10_000, headers: { host: `${host}:${edgePort}` } }, (res) => {
      res.resume();
      resolve(res.headers);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({}));
    req.end();
  });
  const out: Finding[] = [];
  if (headers['x-powered-by']) out.push({ ruleId: 'BBWS-PHP-001', severity: 'low', message: `the edge answers X-Powered-By: ${String(headers['x-powered-by'])}`, location: `127.0.0.1:${edgePort}` });
  if (/\/\d/.test(String(headers.server ?? ''))) out.push({ ruleId: 'BBWS-NGX-001', severity: 'low', message: `the edge answers Server: ${String(headers.server)}`, location: `127.0.0.1:${edgePort}` });
  return out;
}
