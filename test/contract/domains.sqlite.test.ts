/** Runs the DomainRegistry contract against the SQLite adapter. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteDomainRegistry } from '../../src/adapters/domains/sqlite.js';
import { openSqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { describeDomainRegistryContract } from './domains.contract.js';

describeDomainRegistryContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bbws-domains-'));
  const db = openSqliteDatabase(join(dir, 'bbws.db'));
  return {
    registry: createSqliteDomainRegistry(db),
    cleanup: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
