/**
 * What `bbws security-scan` reports: findings of rules with a severity, the overall risk level
 * (the worst severity found) and the recommendations of the rules that fired.
 */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Rule {
  id: string;
  name: string;
  description: string;
  recommendation: string;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  /** A file, or a host:port, or an account: what the finding is about. */
  location?: string;
  line?: number;
}

export const RULES: Record<string, Rule> = {
  'BBWS-DEP-001': { id: 'BBWS-DEP-001', name: 'VulnerableDependency', description: 'A dependency of the platform has a published vulnerability (npm audit).', recommendation: 'Update the dependency (npm audit fix, or a newer bbws release), then rebuild and restart bbws.' },
  'BBWS-DEP-000': { id: 'BBWS-DEP-000', name: 'DependencyAuditUnavailable', description: 'The dependency audit could not run.', recommendation: 'Run npm audit --omit=dev in the bbws install directory once the npm registry is reachable.' },
  'BBWS-FS-001': { id: 'BBWS-FS-001', name: 'PlatformFileExposed', description: 'A platform file (state, logs, keys, secrets, audit log) is readable or writable by other users.', recommendation: 'bbws doctor --fix makes the data dir private (0600/0700); then find out who changed it.' },
  'BBWS-FS-002': { id: 'BBWS-FS-002', name: 'WpConfigReadable', description: "A tenant's wp-config.php (database password, salts) is readable by other users.", recommendation: 'chmod o-rwx the file (bbws sets 0640 with the tenant group); rotate the tenant database password and salts if others could read it.' },
  'BBWS-PHP-001': { id: 'BBWS-PHP-001', name: 'ExposePhp', description: 'PHP announces itself (expose_php: X-Powered-By header).', recommendation: 'Set expose_php=0 for every php-fpm master (bbws does; a custom php.ini or master changed it).' },
  'BBWS-PHP-002': { id: 'BBWS-PHP-002', name: 'DisplayErrors', description: 'A php-fpm pool shows PHP errors to visitors (display_errors).', recommendation: 'php_admin_flag[display_errors] = off in every pool (bbws renders it); errors go to the tenant\'s php-error.log.' },
  'BBWS-NGX-001': { id: 'BBWS-NGX-001', name: 'ServerTokens', description: 'nginx announces its version (server_tokens).', recommendation: 'server_tokens off; in the edge configuration (bbws renders it).' },
  'BBWS-AUTH-001': { id: 'BBWS-AUTH-001', name: 'NoBasicAuth', description: 'A tenant route in sit or prod is not behind basic auth.', recommendation: 'Every route of a sit or prod platform gets basic auth: re-render the tenant (bbws tenants scale ID N re-applies its route).' },
  'BBWS-SEC-001': { id: 'BBWS-SEC-001', name: 'SecretInContent', description: 'A secret-shaped string (access key, private key, token) in tenant content or platform logs (secretlint).', recommendation: 'Remove the file or line, and rotate the credential: treat it as leaked.' },
  'BBWS-WP-001': { id: 'BBWS-WP-001', name: 'CoreFileModified', description: "A WordPress core file differs from the Debian package's checksum (dpkg --verify).", recommendation: 'apt-get install --reinstall wordpress; then look for how it was changed (core is read-only to tenants).' },
  'BBWS-PLG-001': { id: 'BBWS-PLG-001', name: 'VulnerablePlugin', description: 'An installed plugin is at a version in the vulnerability feed.', recommendation: 'Update the plugin to the fixed version through the marketplace (bbws plugins publish, then install), or remove it.' },
  'BBWS-PLG-002': { id: 'BBWS-PLG-002', name: 'PluginFailsScan', description: "An installed plugin fails the marketplace's vetting (blocklist or static scan).", recommendation: 'Remove the plugin from the site; code reaches sites only through the vetted marketplace.' },
  'BBWS-NET-001': { id: 'BBWS-NET-001', name: 'ExposedListener', description: 'A platform server listens on an address other than loopback.', recommendation: 'Bind MariaDB, php-fpm and the API to 127.0.0.1 (bbws does; only the edge may listen on other addresses, with --edge-host).' },
  'BBWS-DB-001': { id: 'BBWS-DB-001', name: 'DatabaseAccount', description: 'A MariaDB account is anonymous, has grants outside its own database, or is root over TCP.', recommendation: "DROP USER the anonymous account; REVOKE grants outside <tenant>_db; root only through the socket ('root'@'localhost' with unix_socket)." },
  'BBWS-UNIX-001': { id: 'BBWS-UNIX-001', name: 'TenantUserLogin', description: 'A tenant Unix user can log in or is in a privileged group.', recommendation: 'usermod -s /usr/sbin/nologin USER; remove it from sudo, adm, root and the web group.' },
};

export function riskLevel(findings: readonly Finding[]): Severity | 'none' {
  for (const s of SEVERITIES) if (findings.some((f) => f.severity === s)) return s;
  return 'none';
}

export function recommendations(findings: readonly Finding[]): string[] {
  return [...new Set(findings.filter((f) => f.severity !== 'info').map((f) => RULES[f.ruleId].recommendation))];
}
