/**
 * A start-up failure an operator can act on: what went wrong and the next step. Thrown by the
 * composition root and the runtimes instead of a raw error (a failed `mariadb-install-db`, a data
 * dir bbws cannot lay out), so that `bbws up` prints two lines and exits, never a stack trace.
 */
export class StartupError extends Error {
  /** What to do about it, as a command or an instruction. */
  readonly nextStep: string;

  constructor(problem: string, nextStep: string, options?: { cause?: unknown }) {
    super(`${problem}\nNext step: ${nextStep}`, options);
    this.name = 'StartupError';
    this.nextStep = nextStep;
  }
}
