/**
 * `--wait`: follows an operation until it finishes, printing each step as it completes
 * (on stderr, so `--json` output on stdout stays clean).
 */
import type { ApiClient } from '../api-client.js';
import { CliError } from '../api-client.js';

interface OperationView {
  operationId: string;
  status: string;
  error: string | null;
  steps: { name: string; status: string; durationMs: number | null; error: string | null }[];
}

export async function waitForOperation(client: ApiClient, operationId: string, timeoutMs = 20 * 60_000): Promise<OperationView> {
  const deadline = Date.now() + timeoutMs;
  const seen = new Set<string>();
  for (;;) {
    const op = await client.request<OperationView>('GET', `/v1.0/operations/${encodeURIComponent(operationId)}`);
    op.steps.forEach((s, i) => {
      const key = `${i}:${s.status}`;
      if (s.status !== 'IN_PROGRESS' && !seen.has(key)) {
        seen.add(key);
        process.stderr.write(`  ${s.status.padEnd(11)} ${s.name}${s.durationMs !== null ? ` (${s.durationMs} ms)` : ''}${s.error ? ` — ${s.error}` : ''}\n`);
      }
    });
    if (op.status === 'SUCCEEDED' || op.status === 'FAILED') {
      if (op.status === 'FAILED') throw new CliError(`Operation ${operationId} FAILED: ${op.error ?? 'see its steps'}. Inspect with \`bbws operations get ${operationId}\`.`);
      return op;
    }
    if (Date.now() > deadline) throw new CliError(`Operation ${operationId} still ${op.status} after ${timeoutMs / 1000} s; keep watching with \`bbws operations get ${operationId} --wait\`.`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
