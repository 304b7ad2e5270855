/**
 * A starter known-vulnerable feed shipped with bbws: a few well-known, long-fixed advisories, so
 * the rule is exercised out of the box. It is not a substitute for a maintained feed: operators
 * keep `<dataDir>/plugins/vulnerabilities.json` current (format in docs/plugins.md), e.g. from
 * their security team's advisory subscription.
 */
import type { VulnerabilityEntry } from '../../../domain/plugin-policy.js';

export const DEFAULT_VULNERABILITIES: readonly VulnerabilityEntry[] = [
  { id: 'CVE-2020-25213', slug: 'wp-file-manager', affected: ['<=6.8'], fixedIn: '6.9', severity: 'critical', title: 'unauthenticated arbitrary file upload (elFinder connector)' },
  { id: 'CVE-2020-35489', slug: 'contact-form-7', affected: ['<5.3.2'], fixedIn: '5.3.2', severity: 'critical', title: 'unrestricted file upload (file name sanitization)' },
  { id: 'CVE-2019-9978', slug: 'social-warfare', affected: ['<=3.5.2'], fixedIn: '3.5.3', severity: 'critical', title: 'remote code execution via remote file inclusion' },
  { id: 'CVE-2023-3460', slug: 'ultimate-member', affected: ['<=2.6.6'], fixedIn: '2.6.7', severity: 'critical', title: 'unauthenticated privilege escalation' },
  { id: 'CVE-2024-10924', slug: 'really-simple-ssl', affected: ['>=9.0.0 <=9.1.1.1'], fixedIn: '9.1.2', severity: 'critical', title: 'authentication bypass in two-factor authentication' },
];
