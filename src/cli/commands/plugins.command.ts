/**
 * `bbws plugins publish FILE.zip` and `bbws plugins list`: the plugin marketplace, run LOCALLY on
 * the data dir's marketplace (`<dataDir>/plugins`) — no API needed, so an operator can vet and
 * publish with the platform stopped. Publish exits 0 when approved, 1 with the violations when
 * rejected (seed 000 "Plugin installation fails with security error"; docs/plugins.md).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { isBbwsError } from '../../domain/errors.js';
import type { PluginViolation } from '../../domain/plugin-policy.js';
import { printJson, printTable } from '../output.js';
import { dataDirOf } from './common.js';

interface PluginCliOptions {
  dataDir?: string;
  json?: boolean;
}

/** The marketplace (and its scanner) is loaded only by the plugin commands that use it. */
async function marketplaceOf(opts: PluginCliOptions) {
  const { createLocalMarketplace, marketplaceOptionsFor } = await import('../../adapters/plugins/local-marketplace.js');
  return createLocalMarketplace(marketplaceOptionsFor(dataDirOf(opts)));
}

/** Violations as rows for the table: rule, file:line, message. */
export function violationRows(violations: PluginViolation[]): Array<Record<string, unknown>> {
  return violations.map((v) => ({ rule: v.rule, where: v.file ? `${v.file}${v.line ? `:${v.line}` : ''}` : '-', message: v.message }));
}

export function registerPluginCommands(program: Command): void {
  const plugins = program.command('plugins').description('the plugin marketplace (vetted packages in the data dir)');

  plugins
    .command('publish <file>')
    .description('vet a plugin zip and, when approved, add it to the marketplace (exit 1 with the violations when rejected)')
    .action(async (file: string, opts: PluginCliOptions) => {
      try {
        const pkg = await (await marketplaceOf(opts)).publish(resolve(file));
        if (opts.json) printJson(pkg);
        else process.stdout.write(`approved ${pkg.slug}@${pkg.version} (sha256 ${pkg.vetting.checksum})\n`);
      } catch (err) {
        if (!isBbwsError(err) || err.code !== 'PLUGIN_SECURITY_VIOLATION') throw err;
        const violations = (err.details.violations ?? []) as PluginViolation[];
        if (opts.json) {
          printJson({ approved: false, slug: err.details.slug ?? null, version: err.details.version ?? null, checksum: err.details.checksum ?? null, violations });
        } else {
          process.stderr.write(`rejected: ${err.message}\n`);
          printTable(violationRows(violations), ['rule', 'where', 'message']);
          process.stderr.write('Nothing was stored. See docs/plugins.md ("When a publish is rejected").\n');
        }
        process.exitCode = 1;
      }
    });

  plugins
    .command('list')
    .description('approved packages, latest version of each plugin first')
    .action(async (opts: PluginCliOptions) => {
      const list = await (await marketplaceOf(opts)).list();
      if (opts.json) printJson({ plugins: list });
      else printTable(list.map((p) => ({ slug: p.slug, version: p.version, name: p.name, vetted: p.vetting.vettedAt, sha256: p.vetting.checksum.slice(0, 12) })), ['slug', 'version', 'name', 'vetted', 'sha256']);
    });

  plugins
    .command('blocklist')
    .description('slugs and versions that must never run (defaults, blocklist.json and the vulnerability feed)')
    .action(async (opts: PluginCliOptions) => {
      const entries = await (await marketplaceOf(opts)).blocklist();
      if (opts.json) printJson({ blocklist: entries });
      else printTable(entries.map((e) => ({ slug: e.slug, versions: e.versions === '*' ? '*' : e.versions.join(' '), reason: e.reason })), ['slug', 'versions', 'reason']);
    });
}
