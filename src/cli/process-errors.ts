/**
 * What the operator sees when something goes wrong outside a command's own errors: never a stack
 * trace. `bbws … | head` closing the pipe ends the CLI quietly; an unexpected error prints one line
 * and where its full detail was written (a private file, mode 0600 in a 0700 directory).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The reader of our output went away (EPIPE): nothing more to say to it, and nothing went wrong. */
export function exitQuietlyWhenOutputCloses(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`bbws: cannot write the output (${err.code ?? err.message}).\n`);
    process.exit(1);
  });
  // Nowhere left to say anything: exit with what we had.
  process.stderr.on('error', () => process.exit(process.exitCode ?? 1));
}

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
