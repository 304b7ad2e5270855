/**
 * `bbws doctor [--fix]` (seed 002 "System Health Checks"): pass, warn or fail per check with what
 * to do next; exit 0 all pass, 1 a warning, 2 a failure. docs/operations.md lists the checks.
 */
import type { Command } from 'commander';
import { printJson } from '../output.js';
import { clientFor, dataDirOf, type CommonOptions } from './common.js';

const MARK = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' } as const;

export function registerDoctorCommand(program: Command): void {
  program.command('doctor').description("the daily health check: every component, the data dir's modes, state, audit chain, queues, tenant routes, disk and memory")
    .option('--fix', 'repair what is safe to repair (file modes, a stale platform.json, a torn audit line), then check again')
    .action(async (opts: CommonOptions & { fix?: boolean }) => {
      const { runDoctor } = await import('../doctor/run-doctor.js');
      const { exitCodeOf } = await import('../doctor/doctor-check.js');
      const dataDir = dataDirOf(opts);
      const report = await runDoctor(dataDir, () => clientFor(opts), { fix: Boolean(opts.fix) });
      process.exitCode = exitCodeOf(report.status);
      if (opts.json) return printJson(report);
      for (const c of report.checks) {
        process.stdout.write(`${MARK[c.status]}  ${c.name}: ${c.detail}\n`);
        if (c.fixed) process.stdout.write(`      fixed: ${c.fixed}\n`);
        if (c.status !== 'pass' && c.next) process.stdout.write(`      next: ${c.next}\n`);
      }
      const counts = (s: string) => report.checks.filter((c) => c.status === s).length;
      process.stdout.write(`\n${report.status.toUpperCase()}: ${counts('pass')} pass, ${counts('warn')} warn, ${counts('fail')} fail (${dataDir})\n`);
    });
}
