/**
 * `bbws security-scan --type basic|comprehensive|infrastructure --format text|json|sarif`
 * (seed 002 "Security Scanning"). Reads the data dir and the host directly (root). Exits 2 on a
 * critical finding.
 */
import type { Command } from 'commander';
import { CliError } from '../api-client.js';
import { printJson } from '../output.js';
import { dataDirOf, type CommonOptions } from './common.js';

interface ScanCommandOptions extends CommonOptions {
  type: string;
  format?: string;
  dependencies: boolean;
}

export function registerSecurityScanCommand(program: Command): void {
  program.command('security-scan').description('security scan of the platform: dependencies, configuration, content, infrastructure; risk level and recommendations')
    .option('--type <type>', 'basic | comprehensive | infrastructure', 'basic')
    .option('--format <format>', 'text | json | sarif (SARIF 2.1.0)', undefined)
    .option('--no-dependencies', 'skip the dependency audit (npm audit needs the npm registry)')
    .action(async (opts: ScanCommandOptions) => {
      const { runSecurityScan, SCAN_TYPES } = await import('../security-scan/run-scan.js');
      if (!(SCAN_TYPES as readonly string[]).includes(opts.type)) throw new CliError(`--type must be one of ${SCAN_TYPES.join(', ')} (got "${opts.type}").`, 2);
      const format = opts.format ?? (opts.json ? 'json' : 'text');
      if (!['text', 'json', 'sarif'].includes(format)) throw new CliError(`--format must be text, json or sarif (got "${format}").`, 2);
      const progress = format === 'text' && process.stderr.isTTY ? (m: string) => process.stderr.write(`${m}\n`) : undefined;
      const report = await runSecurityScan(opts.type as (typeof SCAN_TYPES)[number], { dataDir: dataDirOf(opts), dependencies: opts.dependencies, progress });
      process.exitCode = report.riskLevel === 'critical' ? 2 : 0;
      if (format === 'json') return printJson(report);
      if (format === 'sarif') {
        const { toSarif } = await import('../security-scan/sarif.js');
        const { packageVersion } = await import('../version.js');
        return printJson(toSarif(report.findings, { version: packageVersion(), type: report.type }));
      }
      process.stdout.write(`security scan (${report.type}) of ${report.dataDir}: risk level ${report.riskLevel.toUpperCase()}, ${report.findings.length} findings\n`);
      for (const f of report.findings) process.stdout.write(`  ${f.severity.toUpperCase().padEnd(8)} ${f.ruleId}  ${f.message}${f.line ? ` (line ${f.line})` : ''}\n`);
      for (const s of report.skipped) process.stdout.write(`  SKIPPED  ${s.check}: ${s.reason}\n`);
      if (report.recommendations.length) process.stdout.write(`\nrecommendations:\n${report.recommendations.map((r) => `  - ${r}`).join('\n')}\n`);
    });
}
