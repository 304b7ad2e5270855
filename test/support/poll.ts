/** Polls `fn` until it returns something truthy, or fails naming `what` after `timeoutMs`. */
export async function pollUntil<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
