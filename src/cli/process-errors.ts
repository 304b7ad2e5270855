/**
 * What the operator sees when something goes wrong outside a command's own errors: never a stack
 * trace. An unexpected error prints one line and where its full detail was written (a private
 * file, mode 0600 in a 0700 directory); `bbws … | head` closing the pipe: main.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes the full detail of an unexpected error to a private file; returns its path, or null. */
export function writeErrorDetail(err: unknown, argv: string[]): string | null {
  try {
    const file = join(mkdtempSync(join(tmpdir(), 'bbws-cli-error-')), 'error.txt');
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    writeFileSync(file, `time: ${new Date().toISOString()}\ncommand: bbws ${argv.slice(2).join(' ')}\nnode: ${process.version}\n\n${detail}\n`, { mode: 0o600 });
    return file;
  } catch {
    return null;
  }
}

/** One line on stderr (exit 1): what failed and where the stack trace went. */
export async function reportUnexpectedError(err: unknown, argv: string[]): Promise<void> {
  const { errorMessage } = await import('../domain/errors.js'); // loaded on this path only (start-up time)
  const message = errorMessage(err);
  const file = writeErrorDetail(err, argv);
  process.stderr.write(`bbws: unexpected error: ${message.split('\n')[0]}\n${file ? `The full detail is in ${file}; please include it when you report this.\n` : ''}`);
  process.exitCode = 1;
}
