/**
 * The desired php-fpm pools, one JSON file per pool (`pools/<service>.json`): written once the pool
 * runs (a file is what "this pool exists" means), removed with it, read once when bbws starts.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../files/atomic-write.js';
import { safeName } from './escape.js';
import type { PoolRecord } from './php-fpm-generation.js';

export function poolRecords(dir: string) {
  const fileOf = (name: string) => join(dir, `${safeName(name)}.json`);
  return {
    save: (p: PoolRecord) => writeFileAtomic(fileOf(p.name), JSON.stringify(p, null, 2)),
    remove: (name: string) => rm(fileOf(name), { force: true }),
    async loadAll(): Promise<PoolRecord[]> {
      await mkdir(dir, { recursive: true });
      const out: PoolRecord[] = [];
      for (const f of (await readdir(dir)).filter((f) => f.endsWith('.json'))) out.push(JSON.parse(await readFile(join(dir, f), 'utf8')) as PoolRecord);
      return out;
    },
  };
}
