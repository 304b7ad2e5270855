/**
 * The backup catalog on this host: one JSON file per backup in `<dataDir>/backup-catalog/`
 * (0700 dir, 0600 files, written to a temp file and renamed, so a reader or a kill never sees
 * half a record). Files, not state.db tables: the API process and the worker read the same
 * records, and a copy of the directory (with the repository) is all a disaster recovery needs.
 * The same record is also stored inside each snapshot (`meta.json`), so the catalog can be rebuilt.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isBackupId, type BackupRecord } from '../../domain/backup.js';
import type { BackupCatalog, BackupFilter } from '../../ports/backups.js';
import { writeFileAtomic } from '../files/atomic-write.js';

export function createFileBackupCatalog(options: { dir: string }): BackupCatalog {
  const { dir } = options;
  const file = (id: string) => {
    if (!isBackupId(id)) throw new Error(`not a backup id: ${JSON.stringify(id).slice(0, 40)}`);
    return join(dir, `${id}.json`);
  };
  const read = async (id: string): Promise<BackupRecord | undefined> => {
    const text = await readFile(file(id), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    return text === null ? undefined : (JSON.parse(text) as BackupRecord);
  };
  return {
    async list(filter: BackupFilter = {}) {
      const names = await readdir(dir).catch(() => [] as string[]);
      const out: BackupRecord[] = [];
      for (const n of names) {
        const id = n.replace(/\.json$/, '');
        if (!n.endsWith('.json') || !isBackupId(id)) continue;
        const r = await read(id);
        if (!r) continue;
        if (filter.tenantId !== undefined && r.tenantId !== filter.tenantId) continue;
        if (filter.siteId !== undefined && r.siteId !== filter.siteId) continue;
        if (filter.scope !== undefined && r.scope !== filter.scope) continue;
        out.push(r);
      }
      return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.backupId.localeCompare(a.backupId));
    },
    get: (id) => (isBackupId(id) ? read(id) : Promise.resolve(undefined)),
    async put(record) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(file(record.backupId), `${JSON.stringify(record, null, 2)}\n`);
    },
    async delete(id) {
      await rm(file(id), { force: true });
    },
  };
}
