/**
 * What a data dir's local runtime leaves outside the data dir: the Unix users of its instance
 * (`bw<instance>-*`) and, when its runtime tree was relocated (a private parent, layout.ts), that
 * tree under /var/lib/bbws. Removing a data dir for good (tests, benchmarks, a hard teardown)
 * calls this first, with the runtime stopped.
 */
import { readFile } from 'node:fs/promises';
import { createLayout, removeRelocatedRuntime } from './layout.js';
import { listUsers, removeSystemUser } from './unix-users.js';

export async function removeRuntimeLeftovers(dataDir: string): Promise<void> {
  let iid = '';
  try {
    iid = (await readFile(createLayout(dataDir).instanceIdFile, 'utf8')).trim();
  } catch {
    /* never started, or the record is unreadable */
  }
  if (process.getuid?.() === 0 && /^[0-9a-f]{4}$/.test(iid)) for (const u of await listUsers(`bw${iid}-`)) await removeSystemUser(u).catch(() => undefined);
  removeRelocatedRuntime(dataDir);
}
