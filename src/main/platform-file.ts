/**
 * Where `bbws up` records how to reach it (`platform.json`: API URL, pid). Its own module so the
 * CLI can find the platform without loading the platform (fastify, SQLite, the runtime).
 */
import { join } from 'node:path';

export function platformFile(dataDir: string): string {
  return join(dataDir, 'platform.json');
}

/** Present from the first write of a platform restore until it finished (main/restore-platform.ts). */
export function platformRestoreMarker(dataDir: string): string {
  return join(dataDir, 'platform-restore.json');
}
