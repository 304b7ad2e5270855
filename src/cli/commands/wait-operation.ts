/**
 * `--wait`: follows an operation until it finishes, printing each step as it completes
 * (on stderr, so `--json` output on stdout stays clean).
 */
import type { ApiClient } from '../api-client.js';
import { CliError } from '../api-client.js';

export interface OperationView {
  operationId: string;
  status: string;
  error: string | null;
  steps: { name: string; status: string; durationMs: number | null; error: string | null }[];
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Also print a step when it starts (long steps such as a backup's snapshot). */
  showStarts?: boolean;
  /** A FAILED operation is returned instead of thrown (the caller reports it). */
  returnFailed?: boolean;
}

export async function waitForOperation(client: ApiClient, operationId: string, options: WaitOptions = {}): Promise<OperationView> {
  const timeoutMs = options.timeoutMs ?? 20 * 60_000;
  const deadline = Date.now() + timeoutMs;
  const seen = new Set<string>();
  for (;;) {
    const op = await client.request<OperationView>('GET', `/v1.0/operations/${encodeURIComponent(operationId)}`);
    op.steps.forEach((s, i) => {
      const key = `${i}:${s.status}`;
      if (seen.has(key) || (s.status === 'IN_PROGRESS' && !options.showStarts)) return;
      seen.add(key);
      if (s.status === 'IN_PROGRESS') process.stderr.write(`  …           ${s.name}\n`);
      else process.stderr.write(`  ${s.status.padEnd(11)} ${s.name}${s.durationMs !== null ? ` (${s.durationMs} ms)` : ''}${s.error ? ` — ${s.error}` : ''}\n`);
    });
    if (op.status === 'SUCCEEDED' || op.status === 'FAILED') {
      if (op.status === 'FAILED' && !options.returnFailed) throw new CliError(`Operation ${operationId} FAILED: ${op.error ?? 'see its steps'}. Inspect with \`bbws operations get ${operationId}\`.`);
      return op;
    }
    if (Date.now() > deadline) throw new CliError(`Operation ${operationId} still ${op.status} after ${timeoutMs / 1000} s; keep watching with \`bbws operations get ${operationId} --wait\`.`);
    await new Promise((r) => setTimeout(r, options.showStarts ? 300 : 500));
  }
}
