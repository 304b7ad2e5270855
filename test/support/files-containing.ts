import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every regular file under `dir` whose bytes contain `needle` (paths relative to `dir`). */
export function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(dir, entry);
    let st;
    try {
      st = statSync(path);
    } catch {
      continue; // a file that went away meanwhile (a -shm, a temp file)
    }
    if (st.isFile() && readFileSync(path).includes(needle)) found.push(entry);
  }
  return found;
}
