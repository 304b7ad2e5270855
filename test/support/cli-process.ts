/**
 * Runs the real `bbws` CLI (from source, through tsx) as a child process, as an operator would.
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const ENTRY = ['--import', 'tsx', join(__dirname, 'cli-entry.ts')];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Node's way of printing an uncaught error: "    at fn (file:line:col)" frames. */
export const STACK_TRACE = /^\s+at .+[:(]/m;

/** `bbws ...args`; BBWS_DATA_DIR is cleared so that only --data-dir counts. */
export function bbws(...args: string[]): Promise<CliResult> {
  return bbwsWith({}, ...args);
}

/** `bbws` with extra environment variables. */
export async function bbwsWith(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [...ENTRY, ...args], { env: { ...process.env, BBWS_DATA_DIR: '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (err: any) {
    return { code: err.code as number, stdout: err.stdout as string, stderr: err.stderr as string };
  }
}

/** `bbws ... | head` where the reader is gone before the CLI writes: its stdout is closed at once. */
export function bbwsWithClosedStdout(...args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...ENTRY, ...args], { env: { ...process.env, BBWS_DATA_DIR: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
