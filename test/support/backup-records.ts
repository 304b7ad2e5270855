/** A backup catalog record with nothing in it but what a test sets (no snapshot behind it). */
import { newBackupId, UNVERIFIED, type BackupRecord } from '../../src/domain/backup.js';

export function backupRecord(over: Partial<BackupRecord> = {}): BackupRecord {
  return {
    backupId: newBackupId(),
    scope: 'tenant',
    type: 'full',
    reason: 'scheduled',
    tenantId: null,
    siteId: null,
    parentId: null,
    snapshotId: 'a1b2c3d4',
    createdAt: new Date().toISOString(),
    sites: [],
    spec: null,
    wordpressVersion: null,
    tables: [],
    files: null,
    sizes: { databaseBytes: 0, filesBytes: 0, repositoryAdded: 0 },
    verification: UNVERIFIED,
    paths: { work: '/nowhere', files: null },
    ...over,
  };
}
