/**
 * `bbws security-scan`: runs the checks of a scan type and gathers the findings. basic: dependency
 * audit and configuration; comprehensive: basic plus content (secrets, core integrity, plugins);
 * infrastructure: listeners, database accounts, tenant users.
 */
import { existsSync, readFileSync } from 'node:fs';
import { platformFile } from '../../main/platform-file.js';
import { recommendations, riskLevel, type Finding, type Severity } from './findings.js';
import { auditDependencies, probeEdgeHeaders, scanDataDirModes, scanEdgeConfig, scanPhpFpmConfigs, scanWpConfigs } from './scan-config.js';
import { scanInstalledPlugins, scanSecrets, verifyWordPressCore } from './scan-content.js';
import { platformPorts, scanDatabaseAccounts, scanListeners, scanTenantUsers } from './scan-infra.js';

export const SCAN_TYPES = ['basic', 'comprehensive', 'infrastructure'] as const;
export type ScanType = (typeof SCAN_TYPES)[number];

export interface ScanReport {
  type: ScanType;
  dataDir: string;
  riskLevel: Severity | 'none';
  findings: Finding[];
  recommendations: string[];
  /** Checks that could not run, and why (a finding of their own would hide them among real ones). */
  skipped: { check: string; reason: string }[];
}

export interface ScanOptions {
  dataDir: string;
  /** Skip `npm audit` (it needs the npm registry). */
  dependencies: boolean;
  progress?: (msg: string) => void;
}

export async function runSecurityScan(type: ScanType, options: ScanOptions): Promise<ScanReport> {
  const { dataDir } = options;
  const platform = existsSync(platformFile(dataDir)) ? (JSON.parse(readFileSync(platformFile(dataDir), 'utf8')) as { apiUrl: string; env: string; edgePort: number }) : null;
  const env = platform?.env ?? process.env.BBWS_ENV ?? 'dev';
  const checks: [string, () => Finding[] | Promise<Finding[]>][] = [];
  if (type !== 'infrastructure') {
    if (options.dependencies) checks.push(['dependencies (npm audit)', auditDependencies]);
    checks.push(
      ['data dir modes', () => scanDataDirModes(dataDir)],
      ["tenants' wp-config.php", () => scanWpConfigs(dataDir)],
      ['php-fpm display_errors / expose_php', () => scanPhpFpmConfigs(dataDir)],
      ['nginx server_tokens, basic auth', () => scanEdgeConfig(dataDir, env)],
      ['edge response headers', () => probeEdgeHeaders(dataDir, platform?.edgePort ?? null)],
    );
  }
  if (type === 'comprehensive') {
    checks.push(['secrets in uploads and logs (secretlint)', () => scanSecrets(dataDir)], ['WordPress core (dpkg --verify)', verifyWordPressCore], ['installed plugins', () => scanInstalledPlugins(dataDir)]);
  }
  if (type === 'infrastructure') {
    checks.push(
      ['listening ports', () => scanListeners(platformPorts(dataDir, platform?.apiUrl ?? null, platform?.edgePort ?? null))],
      ['MariaDB accounts and grants', () => scanDatabaseAccounts(dataDir)],
      ['tenant Unix users', () => scanTenantUsers(dataDir)],
    );
  }
  const findings: Finding[] = [];
  const skipped: ScanReport['skipped'] = [];
  for (const [name, check] of checks) {
    options.progress?.(`checking ${name}…`);
    try {
      findings.push(...(await check()));
    } catch (err) {
      skipped.push({ check: name, reason: (err as Error).message.split('\n')[0] });
    }
  }
  return { type, dataDir, riskLevel: riskLevel(findings), findings, recommendations: recommendations(findings), skipped };
}
