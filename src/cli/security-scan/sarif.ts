/**
 * The scan as a SARIF 2.1.0 log (https://docs.oasis-open.org/sarif/sarif/v2.1.0/): one run, the
 * rules that fired, one result per finding. Severity → SARIF level (critical/high: error, medium:
 * warning, low/info: note) and GitHub's numeric `security-severity` property.
 */
import { RULES, type Finding, type Severity } from './findings.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
const SCORE: Record<Severity, string> = { critical: '9.5', high: '7.5', medium: '5.0', low: '2.0', info: '0.0' };

export function toSarif(findings: readonly Finding[], tool: { version: string; type: string }): Record<string, unknown> {
  const ruleIds = [...new Set(findings.map((f) => f.ruleId))];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'bbws security-scan',
            version: tool.version,
            rules: ruleIds.map((id) => ({
              id,
              name: RULES[id].name,
              shortDescription: { text: RULES[id].description },
              help: { text: RULES[id].recommendation },
            })),
          },
        },
        automationDetails: { id: `bbws-security-scan/${tool.type}/` },
        results: findings.map((f) => ({
          ruleId: f.ruleId,
          ruleIndex: ruleIds.indexOf(f.ruleId),
          level: LEVEL[f.severity],
          message: { text: f.message },
          properties: { severity: f.severity, 'security-severity': SCORE[f.severity] },
          ...(f.location
            ? {
                locations: [
                  f.location.startsWith('/')
                    ? { physicalLocation: { artifactLocation: { uri: `file://${encodeURI(f.location)}` }, ...(f.line ? { region: { startLine: f.line } } : {}) } }
                    : { logicalLocations: [{ fullyQualifiedName: f.location }] },
                ],
              }
            : {}),
        })),
      },
    ],
  };
}
