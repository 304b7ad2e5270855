/**
 * Where `bbws up` records how to reach it (`platform.json`: API URL, pid). Its own module so the
 * CLI can find the platform without loading the platform (fastify, SQLite, the runtime).
 */
import { join } from 'node:path';

export function platformFile(dataDir: string): string {
  return join(dataDir, 'platform.json');
}
