/**
 * Runs SQL on a SQLite file from another node process (sqlite-exec-child.ts), as another bbws
 * process would, and returns once it has committed and exited.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const childScript = fileURLToPath(new URL('./sqlite-exec-child.ts', import.meta.url));

export function execInOtherProcess(file: string, sql: string): void {
  const out = execFileSync(process.execPath, ['--import', 'tsx', childScript, file, sql], { encoding: 'utf8', timeout: 30_000 });
  expect(out.trim()).toBe('DONE');
}
