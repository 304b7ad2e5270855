/**
 * Backup helpers (restic, mariadb-dump, the mariadb client) die with bbws: each is started under
 * util-linux's `setpriv --pdeathsig KILL`, as the supervised servers are (runtime/local/supervisor.ts).
 * A `kill -9` of bbws therefore never leaves a restic writing to the repository or a dump running
 * on its own; what they left half-done is removed by the next run (cleanupLeftovers).
 */
import { spawn, type ChildProcessWithoutNullStreams, type SpawnOptionsWithoutStdio } from 'node:child_process';
import { existsSync } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';

/** Every stdio is a pipe: a stream the caller does not use is closed (stdin) or drained by it. */
export function spawnTied(command: string, args: readonly string[], options: Omit<SpawnOptionsWithoutStdio, 'stdio' | 'shell'>): ChildProcessWithoutNullStreams {
  const opts = { ...options, stdio: 'pipe' as const, shell: false };
  if (!existsSync(SETPRIV)) return spawn(command, [...args], opts);
  return spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args], opts);
}
