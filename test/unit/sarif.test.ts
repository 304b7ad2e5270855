/**
 * The scan's SARIF output validates against the SARIF 2.1.0 JSON schema (the OASIS schema as
 * shipped in @microsoft/jest-sarif, draft-04, checked with ajv's draft-04 class), for every kind of
 * location and severity; and a broken log does not validate (the check can fail).
 */
import { describe, expect, it } from 'vitest';
import { RULES, SEVERITIES, type Finding } from '../../src/cli/security-scan/findings.js';
import { toSarif } from '../../src/cli/security-scan/sarif.js';
import { validateSarif } from '../support/sarif-schema.js';

describe('SARIF 2.1.0', () => {
  it('a scan with findings of every rule, severity and location kind validates', () => {
    const ids = Object.keys(RULES);
    const findings: Finding[] = ids.map((ruleId, i) => ({
      ruleId,
      severity: SEVERITIES[i % SEVERITIES.length],
      message: `finding ${i} with "quotes" and ünïcode`,
      ...(i % 3 === 0 ? { location: `/var/lib/bbws/x/tenants/acme/content/uploads/a b#${i}.txt`, line: i + 1 } : i % 3 === 1 ? { location: `'acme_user'@'%'` } : {}),
    }));
    const log = toSarif(findings, { version: '0.1.0', type: 'comprehensive' });
    expect(validateSarif(log), JSON.stringify(validateSarif.errors)).toBe(true);
    expect((log.runs as any[])[0].results).toHaveLength(ids.length);
  });

  it('an empty scan validates', () => {
    expect(validateSarif(toSarif([], { version: '0.1.0', type: 'basic' }))).toBe(true);
  });

  it('the schema refuses a broken log', () => {
    const log = toSarif([{ ruleId: 'BBWS-FS-001', severity: 'critical', message: 'x' }], { version: '0.1.0', type: 'basic' }) as any;
    log.runs[0].results[0].level = 'catastrophic';
    expect(validateSarif(log)).toBe(false);
    expect(validateSarif({ version: '2.0.0', runs: [] })).toBe(false);
  });
});
