/**
 * `bbws`, the operator CLI: bin/bbws.js runs `main` from the bundle (scripts/bundle-cli.mjs).
 * A version or help request is answered here (quick-answers.ts); anything else loads the program
 * (program.ts, with commander) and runs it. docs/benchmarks.md "CLI start" has what each costs.
 */
import { answerQuickly } from './quick-answers.js';

/** The reader of our output went away (EPIPE): nothing more to say to it, and nothing went wrong. */
function exitQuietlyWhenOutputCloses(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`bbws: cannot write the output (${err.code ?? err.message}).\n`);
    process.exit(1);
  });
  // Nowhere left to say anything: exit with what we had.
  process.stderr.on('error', () => process.exit(process.exitCode ?? 1));
}

export async function main(argv: string[]): Promise<void> {
  exitQuietlyWhenOutputCloses();
  if (answerQuickly(argv.slice(2))) return;
  const { runProgram } = await import('./program.js');
  await runProgram(argv);
}

// For scripts/bundle-cli.mjs, which writes that file from program.ts `buildTimeTexts`.
export { ROOT_HELP_FILE } from './quick-answers.js';
