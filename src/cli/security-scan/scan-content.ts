/**
 * `security-scan --type comprehensive` beyond basic: secrets in tenant content (uploads) and the
 * platform's logs (secretlint's recommended rules, AWS key ids included), WordPress core against
 * the Debian package's checksums (dpkg --verify), installed plugins against the vulnerability feed
 * and the marketplace's vetting (blocklist and static scan).
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, openSync, readdirSync, readFileSync, readSync, closeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { lintSource } from '@secretlint/core';
import { creator as recommendedRules } from '@secretlint/secretlint-rule-preset-recommend';
import { loadPolicy } from '../../adapters/plugins/policy-files.js';
import { scanPluginPackage } from '../../adapters/plugins/php-scan/scan-package.js';
import { layoutAt, runtimeRootOf, tenantPaths } from '../../adapters/runtime/local/layout.js';
import { checkPolicy, parsePluginHeader, type PackageFile } from '../../domain/plugin-policy.js';
import type { Finding } from './findings.js';

const run = promisify(execFile);
/** Larger files are scanned in their first 8 MiB (logs rotate well below that). */
const MAX_SCAN_BYTES = 8 * 1024 ** 2;
const SECRETLINT_CONFIG = { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommendedRules, rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }] }] };

function* walk(dir: string, depth = 0): Generator<string> {
  if (depth > 12 || !existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) yield* walk(p, depth + 1);
    else if (st.isFile()) yield p;
  }
}

function readText(file: string): string | null {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(MAX_SCAN_BYTES, lstatSync(file).size));
    const n = readSync(fd, buf, 0, buf.length, 0);
    const bytes = buf.subarray(0, n);
    return bytes.includes(0) ? null : bytes.toString('utf8'); // binary (images): skipped
  } finally {
    closeSync(fd);
  }
}

export async function scanSecrets(dataDir: string): Promise<Finding[]> {
  const layout = layoutAt(runtimeRootOf(dataDir));
  const tenants = existsSync(layout.tenantsDir) ? readdirSync(layout.tenantsDir) : [];
  const roots = [...tenants.map((t) => join(tenantPaths(layout, t).content, 'uploads')), join(dataDir, 'logs')];
  const out: Finding[] = [];
  for (const root of roots) {
    for (const file of walk(root)) {
      const content = readText(file);
      if (!content) continue;
      const result = await lintSource({ source: { filePath: file, content, contentType: 'text' }, options: { config: SECRETLINT_CONFIG, maskSecrets: true } });
      for (const m of result.messages) {
        out.push({ ruleId: 'BBWS-SEC-001', severity: 'critical', message: `${m.message} (${m.ruleId.replace('@secretlint/secretlint-rule-', '')})`, location: file, line: m.loc.start.line });
      }
    }
  }
  return out;
}

/** `dpkg --verify wordpress`: changed or missing files, configuration files (`c`) excepted. */
export async function verifyWordPressCore(): Promise<Finding[]> {
  let out: string;
  try {
    out = (await run('dpkg', ['--verify', 'wordpress'], { timeout: 120_000, maxBuffer: 16 * 1024 ** 2 })).stdout;
  } catch (err) {
    out = (err as { stdout?: string }).stdout ?? '';
    if (!out.trim()) return [{ ruleId: 'BBWS-WP-001', severity: 'info', message: `dpkg --verify wordpress did not run: ${((err as Error).message || '').split('\n')[0]}` }];
  }
  const findings: Finding[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\S{9}|missing)\s+(c?)\s*(\/\S.*)$/.exec(line.trim());
    if (!m || m[2] === 'c') continue;
    findings.push({ ruleId: 'BBWS-WP-001', severity: 'high', message: m[1] === 'missing' ? `${m[3]} is missing` : `${m[3]} differs from the package (${m[1]})`, location: m[3] });
  }
  return findings;
}

/** Each tenant's installed plugins (content/plugins/<slug>) against the feed, the blocklist and the static scan. */
export async function scanInstalledPlugins(dataDir: string): Promise<Finding[]> {
  const layout = layoutAt(runtimeRootOf(dataDir));
  const policy = await loadPolicy({ blocklistFile: join(dataDir, 'plugins', 'blocklist.json'), vulnerabilityFeedFile: join(dataDir, 'plugins', 'vulnerabilities.json') });
  const out: Finding[] = [];
  const tenants = existsSync(layout.tenantsDir) ? readdirSync(layout.tenantsDir) : [];
  for (const t of tenants) {
    const pluginsDir = join(tenantPaths(layout, t).content, 'plugins');
    if (!existsSync(pluginsDir)) continue;
    for (const slug of readdirSync(pluginsDir)) {
      const dir = join(pluginsDir, slug);
      if (!lstatSync(dir).isDirectory()) continue;
      const files: PackageFile[] = [...walk(dir)].map((f) => ({ path: `${slug}/${relative(dir, f)}`, content: readFileSync(f) }));
      const header = files.filter((f) => f.path.split('/').length === 2 && f.path.endsWith('.php')).map((f) => parsePluginHeader(Buffer.from(f.content).toString('utf8'))).find((h) => h !== undefined);
      const where = `${dir} (tenant ${t})`;
      for (const v of checkPolicy(slug, header?.version ?? '0', policy.blocklist, policy.vulnerabilities)) {
        out.push({ ruleId: v.rule === 'known-vulnerable' ? 'BBWS-PLG-001' : 'BBWS-PLG-002', severity: v.rule === 'known-vulnerable' ? 'critical' : 'high', message: `${where}: ${v.message}`, location: dir });
      }
      for (const v of scanPluginPackage(files)) out.push({ ruleId: 'BBWS-PLG-002', severity: 'high', message: `${where}: ${v.message}`, location: dir });
    }
  }
  return out;
}
